"""Matching watch queries against articles.

``Matcher`` holds many watches and checks an article against all of them: the article is
tokenised, split into sentences and stemmed once, in its own language, and each watch's words
are stemmed in that language too (once per language, then cached). Before a watch is verified,
a term pre-filter (as Lucene's Monitor does) drops it unless the article holds every word of
one way the watch can match: for ``Putin visit OR Xi trip`` both "Putin" and "visit", or both
"Xi" and "trip". Each such set of words is indexed under its rarest word only (``_Index``), so
watches whose rarest word is not in the article cost nothing.

Each match comes with a snippet: the sentences holding the matched words, trimmed to about
``SNIPPET_CHARS`` characters around them with "…" where text was cut, and the offsets of every
matched word in it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from alerts.qsnippet import Piece, build_snippet
from alerts.query import And, Lang, Near, Not, Or, Query, Sentence, Site, Term, parse
from alerts.text import (
    WordKeys,
    guess_language,
    snowball_language,
    split_sentences,
    word_key_for,
    word_pattern,
    words_of,
)

__all__ = ["SNIPPET_CHARS", "Document", "Match", "Matcher", "matches"]

SNIPPET_CHARS = 300


@dataclass(frozen=True, kw_only=True)
class Document:
    """An article as the matcher sees it: ``text`` is the body (standfirst and paragraphs)."""

    title: str
    text: str
    site: str = ""
    url: str = ""
    language: str | None = None


@dataclass(frozen=True, kw_only=True)
class Match:
    """One watch matching one article; ``marks`` are ``(start, end)`` offsets into ``snippet``."""

    watch: str
    snippet: str
    marks: tuple[tuple[int, int], ...]


_Span = tuple[int, int, tuple[int, ...]]  # first word, last word, the words to mark
_TITLE = 0
# Headline words are known to the pre-filter twice: as themselves and with this in front.
_TITLE_MARK = "\0"
# Keys looked up one by one before an article indexes all its words at once.
_SCANS = 8


class _Article:
    """A document cut into sentences and words, each word known by its key and its sentence.

    Words are numbered through the headline and then the body. Only their keys are kept:
    where a word sits in the text is worked out again for the few sentences a snippet shows.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        language = doc.language or guess_language(doc.title + " " + doc.text)
        self.algorithm = snowball_language(language)
        self.key = word_key_for(self.algorithm)
        title = doc.title.strip()
        start = doc.title.find(title) if title else 0
        self.sentences = [(start, start + len(title))]
        self.sentences += split_sentences(doc.text)
        words, counts = words_of(doc.title, self.sentences[:1])
        body, body_counts = words_of(doc.text, self.sentences[1:])
        words += body
        counts += body_counts
        self.keys = self.key.keys(words)
        title_keys = (_TITLE_MARK + k for k in self.keys[:counts[0]])
        self.key_set = frozenset((*self.keys, *title_keys))
        self.sentence_of: list[int] = []  # each word's sentence
        self.first: list[int] = []  # each sentence's first word
        for number, count in enumerate(counts):
            self.first.append(len(self.sentence_of))
            self.sentence_of += [number] * count
        self._positions: dict[str, list[int]] = {}
        self._looked_up = 0
        self._offsets: dict[int, list[tuple[int, int]]] = {}
        self.host = _host(doc.url)

    def source(self, sentence: int) -> str:
        return self.doc.title if sentence == _TITLE else self.doc.text

    def positions(self, key: str) -> list[int]:
        """The numbers of the words with this key, in order."""
        found = self._positions.get(key)
        if found is not None:
            return found
        if key not in self.key_set:
            return []
        self._looked_up += 1
        if self._looked_up <= _SCANS:  # a scan in C: cheaper than indexing every word up front
            found = self._positions[key] = []
            index, position = self.keys.index, -1
            try:
                while True:
                    position = index(key, position + 1)
                    found.append(position)
            except ValueError:
                pass
            return found
        positions: dict[str, list[int]] = {}
        for position, word in enumerate(self.keys):
            known = positions.get(word)
            if known is None:
                positions[word] = [position]
            else:
                known.append(position)
        self._positions = positions
        return positions[key]

    def offsets(self, word: int) -> tuple[int, int]:
        """Where a word starts and ends in its text (the headline or the body)."""
        sentence = self.sentence_of[word]
        spans = self._offsets.get(sentence)
        if spans is None:
            source = self.source(sentence)
            begin, end = self.sentences[sentence]
            pattern = word_pattern(source[begin:end])
            spans = self._offsets[sentence] = [m.span() for m in
                                               pattern.finditer(source, begin, end)]
        return spans[word - self.first[sentence]]


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


class _Evaluator:
    """Evaluates query nodes on one article; a result is the set of words to mark, or None."""

    def __init__(self, article: _Article) -> None:
        self.article = article
        self.sentence_of = article.sentence_of
        # By identity: hashing a frozen dataclass hashes its whole subtree, each time. The watches
        # hold their nodes, so no id is reused while an article is evaluated.
        self._spans: dict[int, list[_Span]] = {}
        self._whole: dict[int, frozenset[int] | None] = {}

    def spans(self, node: Query) -> list[_Span]:
        cached = self._spans.get(id(node))
        if cached is None:
            cached = self._spans[id(node)] = self._find_spans(node)
        return cached

    def _find_spans(self, node: Query) -> list[_Span]:
        if isinstance(node, Term):
            return self._term_spans(node)
        if isinstance(node, Or):
            return [span for part in node.parts for span in self.spans(part)]
        assert isinstance(node, Near)
        found = []
        sentence_of = self.sentence_of
        for left in self.spans(node.left):
            for right in self.spans(node.right):
                first, last = (left, right) if left[1] < right[0] else (right, left)
                if first[1] >= last[0]:  # overlapping: the same words cannot be both sides
                    continue
                gap = last[0] - first[1] - 1
                same_field = (sentence_of[first[0]] == _TITLE) == (sentence_of[last[0]] == _TITLE)
                if gap <= node.distance and same_field:
                    found.append((first[0], last[1], first[2] + last[2]))
        return found

    def _term_spans(self, node: Term) -> list[_Span]:
        article = self.article
        keys = [article.key(word) for word in node.words]
        words, sentence_of, length = article.keys, self.sentence_of, len(keys)
        if length == 1:
            if node.title:
                positions = article.positions(keys[0])
                return [(p, p, (p,)) for p in positions if sentence_of[p] == _TITLE]
            return [(p, p, (p,)) for p in article.positions(keys[0])]
        found = []
        for start in article.positions(keys[0]):
            sentence = sentence_of[start]
            if node.title and sentence != _TITLE:
                continue
            end = start + length
            if end > len(words) or sentence_of[end - 1] != sentence or any(
                words[start + k] != keys[k] for k in range(1, length)
            ):
                continue
            found.append((start, end - 1, tuple(range(start, end))))
        return found

    def evaluate(self, node: Query, sentence: int | None = None) -> frozenset[int] | None:
        """Match ``node`` in the whole article, or within one sentence when one is given."""
        if sentence is not None:
            return self._evaluate(node, sentence)
        # Many watches share nodes (``_shared``): each is worked out once per article.
        whole = self._whole
        key = id(node)
        if key in whole:
            return whole[key]
        result = whole[key] = self._evaluate(node, None)
        return result

    def _evaluate(self, node: Query, sentence: int | None) -> frozenset[int] | None:
        if isinstance(node, Term) and node.title:
            sentence = None  # headline words hold for the article, wherever they are asked
        if isinstance(node, (Term, Near)):
            spans = self.spans(node)
            if sentence is not None:
                sentence_of = self.sentence_of
                spans = [s for s in spans if sentence_of[s[0]] == sentence_of[s[1]] == sentence]
            return frozenset(w for span in spans for w in span[2]) if spans else None
        if isinstance(node, Not):
            return frozenset() if self.evaluate(node.part) is None else None
        if isinstance(node, Site):
            return frozenset() if _site_matches(node.name, self.article) else None
        if isinstance(node, Lang):
            return frozenset() if _language_matches(node.code, self.article.doc) else None
        if isinstance(node, Or):
            results = [self.evaluate(part, sentence) for part in node.parts]
            found = [result for result in results if result is not None]
            return frozenset().union(*found) if found else None
        if isinstance(node, And) or (isinstance(node, Sentence) and sentence is not None):
            marks: frozenset[int] = frozenset()
            for part in node.parts:
                result = self.evaluate(part, sentence)
                if result is None:
                    return None
                marks |= result
            return marks
        assert isinstance(node, Sentence)
        return self._in_some_sentence(node)

    def _in_some_sentence(self, node: Sentence) -> frozenset[int] | None:
        # A sentence can only match where some part has words, or, when every part holds for
        # the article as a whole, anywhere at all: one sentence without words stands for those.
        # A part that holds only where its words are narrows that down to its own sentences.
        sentence_of = self.sentence_of
        candidates: set[int] = set()
        narrowed: set[int] | None = None
        for part in node.parts:
            result = self.evaluate(part)
            if result is None:
                return None
            sentences = {sentence_of[w] for w in result}
            candidates |= sentences
            if _positional(part):
                narrowed = sentences if narrowed is None else narrowed & sentences
        if narrowed is not None:
            candidates = narrowed
        else:
            spare = next((s for s in range(len(self.article.sentences)) if s not in candidates),
                         None)
            if spare is not None:
                candidates.add(spare)
        found = [self.evaluate(node, s) for s in sorted(candidates)]
        marks = [result for result in found if result is not None]
        return frozenset().union(*marks) if marks else None


def _positional(node: Query) -> bool:
    """Whether ``node`` holds in a sentence only where some of its words are."""
    if isinstance(node, Term):
        return not node.title
    if isinstance(node, Or):
        return all(_positional(part) for part in node.parts)
    return isinstance(node, Near)


def _site_matches(name: str, article: _Article) -> bool:
    host = article.host
    return (article.doc.site.strip().lower() == name
            or bool(host) and (host == name or host.endswith("." + name)))


def _language_matches(code: str, doc: Document) -> bool:
    language = (doc.language or "").strip().lower().replace("_", "-")
    return language == code or language.startswith(code + "-")


def _snippet(article: _Article, marks: frozenset[int]) -> tuple[str, tuple[tuple[int, int], ...]]:
    sentence_of, keys = article.sentence_of, article.keys
    by_sentence: dict[int, list[int]] = {}
    for w in sorted(marks):
        by_sentence.setdefault(sentence_of[w], []).append(w)
    # Show each matched word at least once, in as few sentences as it takes.
    chosen: list[int] = []
    missing = {keys[w] for w in marks}
    while missing:
        best = max(by_sentence, key=lambda s: len(missing & {keys[w] for w in by_sentence[s]}))
        chosen.append(best)
        missing -= {keys[w] for w in by_sentence.pop(best)}
    if not chosen:  # nothing to mark: a site: or lang: watch shows the headline
        chosen = [next((s for s, (a, b) in enumerate(article.sentences) if b > a), 0)]
    pieces = []
    for number in sorted(chosen):
        begin, end = article.sentences[number]
        text = article.source(number)[begin:end]
        spans = []
        for w in sorted(marks):
            if sentence_of[w] == number:
                start, stop = article.offsets(w)
                spans.append((start - begin, stop - begin))
        pieces.append(Piece(number, text, tuple(spans)))
    return build_snippet(pieces, SNIPPET_CHARS)


# -- pre-filter -----------------------------------------------------------------------------

# How many ways of matching a watch the pre-filter keeps apart: "(a OR b) (c OR d)" is four,
# {a, c}, {a, d}, {b, c}, {b, d}. Past this, a part is left out, which only lets more through.
_MAX_ALTERNATIVES = 16


def _needs(node: Query, key: Callable[[str], str]) -> frozenset[frozenset[str]] | None:
    """Sets of keys such that any matching article holds every key of one of them.

    None when the node asks for no word at all (exclusions, site:, lang:).
    """
    if isinstance(node, Term):
        mark = _TITLE_MARK if node.title else ""
        return frozenset({frozenset(mark + key(word) for word in node.words)})
    if isinstance(node, Or):
        options: set[frozenset[str]] = set()
        for part in node.parts:
            part_needs = _needs(part, key)
            if part_needs is None:
                return None
            options |= part_needs
        return frozenset(options)
    if isinstance(node, (And, Sentence, Near)):
        parts = node.parts if not isinstance(node, Near) else (node.left, node.right)
        result: frozenset[frozenset[str]] | None = None
        for part in parts:
            part_needs = _needs(part, key)
            if part_needs is None:
                continue
            if result is None:
                result = part_needs
            elif len(result) * len(part_needs) <= _MAX_ALTERNATIVES:
                result = frozenset(a | b for a in result for b in part_needs)
            elif len(part_needs) < len(result):
                result = part_needs  # either side alone is still needed
        return result
    return None


# Words found in a large share of news articles, by stemming language. A watch posted under
# one of them would be a candidate for most articles, so they count as this much more shared.
_COMMON_WEIGHT = 50
_COMMON_WORDS = {
    "english": """
        a about after again against all also an and any are as at back be because been before
        being between both but by can could day did do does down during each even first for
        from get had has have he her here him his how if in into is it its just last like made
        make many may me more most much must my new no not now of off on one only or other our
        out over own people said same say says see she should since so some still such than
        that the their them then there these they this those through time to too two under up
        us very was way we well were what when where which while who why will with would year
        years you your according added ago announced another around asked billion called city
        company country court week today monday tuesday wednesday thursday friday saturday
        sunday january february march april june july august september october november
        december month percent government minister president official police report told news
        state national world public million group political party three four five local home
        leader military security economy market price money business work plan law statement
        spokesman""",
    "german": """
        der die das und in zu den von mit sich des auf für ist im dem nicht ein eine als auch es
        an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so
        zum war haben nur oder aber vor zur bis mehr durch man sagte jahr jahre prozent""",
    "french": """
        le la les de des du un une et en à au aux pour que qui dans sur par plus pas ne se ce il
        elle ils est sont a ont été être avec son sa ses leur mais ou comme selon après avant
        an ans année pourcent""",
    "spanish": """
        el la los las de del un una y en a al por para con que se no su sus es son fue ha han
        como más pero o sobre entre según tras año años""",
    "russian": """
        и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
        ее мне было вот от меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был
        него до вас при это год года""",
}


@functools.cache
def _common_words(algorithm: str) -> frozenset[str]:
    return frozenset(_COMMON_WORDS.get(algorithm, "").split())


def _common_keys(key: WordKeys) -> frozenset[str]:
    return frozenset(map(key, _common_words(key.algorithm)))


class _Index:
    """Watches by the rarest key of each way they can match, for one stemming language.

    A watch is posted under one key per set of keys it needs (``_needs``) together with the
    rest of that set, and is a candidate only when the article holds the whole set: a watch
    that cannot match costs nothing unless its rarest key is in the article. Rarity is guessed
    from how many watches share a key (a word in many watches is likely a common one, and
    posting under it would make long lists), weighed up for common news words, then from length.
    """

    def __init__(self, queries: Iterable[Query], key: WordKeys) -> None:
        needs = [_needs(query, key) for query in queries]
        shared = Counter(k for options in needs if options for keys in options for k in keys)
        common = _common_keys(key)

        def cost(k: str) -> tuple[int, int, str]:
            return shared[k] * (_COMMON_WEIGHT if k in common else 1), -len(k), k

        self.single: dict[str, list[int]] = {}  # watches that need only this key
        self.more: dict[str, list[tuple[int, frozenset[str]]]] = {}  # and the other keys
        self.always: list[int] = []
        for number, options in enumerate(needs):
            if options is None:
                self.always.append(number)
                continue
            for keys in options:
                rarest = min(keys, key=cost)
                if len(keys) == 1:
                    self.single.setdefault(rarest, []).append(number)
                else:
                    self.more.setdefault(rarest, []).append((number, keys - {rarest}))

    def candidates(self, keys: frozenset[str]) -> list[int]:
        found = set(self.always)
        single, more = self.single, self.more
        for k in keys & single.keys():
            found.update(single[k])
        for k in keys & more.keys():
            for number, rest in more[k]:
                if rest <= keys:
                    found.add(number)
        return sorted(found)


def _shared(node: Query, table: dict[Query, Query]) -> Query:
    """``node`` built from the nodes already in ``table``: watches that ask the same thing
    share one node, so an article works it out once for all of them."""
    if isinstance(node, Not):
        node = Not(_shared(node.part, table))
    elif isinstance(node, Near):
        node = Near(_shared(node.left, table), _shared(node.right, table), node.distance)
    elif isinstance(node, (And, Or, Sentence)):
        node = type(node)(tuple(_shared(part, table) for part in node.parts))
    return table.setdefault(node, node)


class Matcher:
    """Matches articles against a fixed set of named watches."""

    def __init__(self, watches: Mapping[str, Query | str]) -> None:
        shared: dict[Query, Query] = {}
        self._watches = tuple(
            (name, _shared(parse(query) if isinstance(query, str) else query, shared))
            for name, query in watches.items()
        )
        self._indexes: dict[str, _Index] = {}

    def match(self, doc: Document) -> list[Match]:
        """Return one ``Match`` per watch that matches ``doc``, in the watches' order."""
        article = _Article(doc)
        candidates = self._candidates(article)
        if not candidates:
            return []
        evaluator = _Evaluator(article)
        found = []
        for number in candidates:
            name, query = self._watches[number]
            marks = evaluator.evaluate(query)
            if marks is not None:
                snippet, spans = _snippet(article, marks)
                found.append(Match(watch=name, snippet=snippet, marks=spans))
        return found

    def _candidates(self, article: _Article) -> list[int]:
        index = self._indexes.get(article.algorithm)
        if index is None:
            queries = (query for _, query in self._watches)
            index = self._indexes[article.algorithm] = _Index(queries, article.key)
        return index.candidates(article.key_set)


def matches(query: Query | str, doc: Document) -> Match | None:
    """Match one query against one article; the match is named after the normalised query."""
    parsed = parse(query) if isinstance(query, str) else query
    found = Matcher({str(parsed): parsed}).match(doc)
    return found[0] if found else None
