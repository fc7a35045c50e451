"""Matching watch queries against articles.

``Matcher`` holds many watches and checks an article against all of them: the article is
tokenised, split into sentences and stemmed once, in its own language, and each watch's words
are stemmed in that language too (once per language, then cached). Before a watch is verified,
a term pre-filter (as Lucene's Monitor does) drops it unless the article holds every word of
one way the watch can match: for ``Putin visit OR Xi trip`` both "Putin" and "visit", or both
"Xi" and "trip". Each such set of words is indexed under its rarest word only
(:mod:`alerts.prefilter`), so watches whose rarest word is not in the article cost nothing.
A watch that is a candidate is verified by its compiled check (:mod:`alerts.qcheck`): the
evaluator's answer, worked out flat.

Each match comes with a snippet: the sentences holding the matched words, trimmed to about
``SNIPPET_CHARS`` characters around them with "…" where text was cut, and the offsets of every
matched word in it. Alerts show the headline above the snippet, so a snippet is the body's
sentences, and the headline only when nothing in the body matched.

The look-up, the checks and the snippets run in the C core (``alerts._core``, whose sources
are in ``alerts/csrc/``) when it is built. Each of its parts has a twin here, in
:mod:`alerts.prefilter` or in :mod:`alerts.text` (``lookup_in_python``, ``verify_in_python``,
``snippet_in_python``, ...) that gives the same answer, runs when the core is not built, and
is what the core is tested against.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import compress
from urllib.parse import urlsplit

from alerts.prefilter import TITLE_MARK, WatchIndex
from alerts.qsnippet import ELLIPSIS, MIN_SHARE, Piece, build_snippet
from alerts.query import And, Lang, Near, Not, Or, Query, Sentence, Site, Term, parse
from alerts.text import (
    WordSpans,
    guess_language,
    is_plain,
    snowball_language,
    split_run,
    split_sentences,
    word_key_for,
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
Snippet = tuple[str, tuple[tuple[int, int], ...]]  # its text, and the marks' offsets in it
_TITLE = 0
# Keys looked up one by one before an article indexes all its words at once.
_SCANS = 8


class _Positions(dict[str, list[int]]):
    """Words' positions in an article, by key: some keys' found at once, any other key's found
    by a scan the first time it is asked for; a key the article lacks has none."""

    def __init__(self, keys: list[str], present: set[str]) -> None:
        super().__init__()
        self._keys = keys
        self._present = present

    def __missing__(self, key: str) -> list[int]:
        if key not in self._present:
            return []
        found = self[key] = _scan(self._keys, key)
        return found


try:
    from alerts._core import Snippets
except ImportError:  # installed without a C compiler
    Snippets = None


def _scan(keys: list[str], key: str) -> list[int]:
    """The positions of ``key`` in ``keys``, found by ``list.index``: a scan in C."""
    found: list[int] = []
    index, position = keys.index, -1
    try:
        while True:
            position = index(key, position + 1)
            found.append(position)
    except ValueError:
        return found


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
        self.keys, counts = self.key.span_keys(doc.title, self.sentences[:1])
        body, body_counts = self.key.span_keys(doc.text, self.sentences[1:])
        self.keys += body
        counts += body_counts
        title_keys = (TITLE_MARK + k for k in self.keys[:counts[0]])
        self.key_set = set(self.keys)  # never changed once built
        self.key_set.update(title_keys)
        self.sentence_of: list[int] = []  # each word's sentence
        self.first: list[int] = []  # each sentence's first word
        for number, count in enumerate(counts):
            self.first.append(len(self.sentence_of))
            self.sentence_of += [number] * count
        self._positions: dict[str, list[int]] = {}
        self._looked_up = 0
        self._offsets: dict[int, WordSpans] = {}
        self._pieces: dict[tuple[int, tuple[int, ...]], Piece] = {}
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
            found = self._positions[key] = _scan(self.keys, key)
            return found
        self.index_words()
        return self._positions[key]

    def index_words(self, wanted: set[str] | None = None) -> None:
        """Find the positions of every word at once, or of every word with a key ``wanted``
        (those many watches will look up), for an article many watches will search."""
        positions = _Positions(self.keys, self.key_set)
        keys: Iterable[str] = self.keys
        numbers: Iterable[int] = range(len(self.keys))
        if wanted is not None:  # picked out in C, so the loop below sees only those words
            picked = list(map(wanted.__contains__, keys))
            keys, numbers = compress(keys, picked), compress(numbers, picked)
        for position, word in zip(numbers, keys, strict=True):
            known = positions.get(word)
            if known is None:
                positions[word] = [position]
            else:
                known.append(position)
        self._positions = positions
        # From now on a look-up is one dictionary look-up in C, without a method around it.
        self.positions = positions.__getitem__  # type: ignore[method-assign]

    def piece(self, sentence: int, words: tuple[int, ...]) -> Piece:
        """A sentence to show with these of its words marked (numbers in the article).

        Kept for the article's other matches: watches that share a word mark it alike.
        """
        piece = self._pieces.get((sentence, words))
        if piece is None:
            spans = self.word_spans(sentence)
            marks = spans.within(words, self.first[sentence]) if words else ()
            piece = self._pieces[sentence, words] = Piece(sentence, spans.text, marks)
        return piece

    def word_spans(self, sentence: int) -> WordSpans:
        """Where the words of a sentence start and end in its text."""
        spans = self._offsets.get(sentence)
        if spans is None:
            begin, end = self.sentences[sentence]
            spans = self._offsets[sentence] = WordSpans(self.source(sentence), begin, end)
        return spans


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


class _Evaluator:
    """Evaluates query nodes on one article; a result is the set of words to mark, or None."""

    def __init__(self, article: _Article, term_keys: dict[int, list[str]] | None = None) -> None:
        self.article = article
        self.sentence_of = article.sentence_of
        self._term_keys = term_keys or {}
        self.positions = article.positions  # for the compiled checks, without a call between
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
        keys = self._term_keys.get(id(node)) or [article.key(word) for word in node.words]
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


def _snippets(article: _Article, marked: list[frozenset[int]]) -> list[Snippet]:
    """The snippet of each match marking these words, in one article."""
    if Snippets is None:
        return [snippet_in_python(article, marks) for marks in marked]
    doc = article.doc
    snippets = Snippets(doc.title, doc.text, article.sentences, article.first, article.keys,
                        split_run, is_plain, SNIPPET_CHARS, MIN_SHARE, ELLIPSIS)
    return list(map(snippets.snippet, marked))


def snippet_in_python(article: _Article, marks: frozenset[int]) -> Snippet:
    """The snippet of a match marking ``marks``: the C core's ``Snippets.snippet`` in Python."""
    ordered = sorted(marks)
    body = article.first[1] if len(article.first) > 1 else len(article.keys)
    if ordered and ordered[-1] >= body:  # the headline is shown anyway: show the body's words
        ordered = ordered[bisect_left(ordered, body):]
    numbers = list(map(article.sentence_of.__getitem__, ordered))  # each mark's sentence
    # Show each matched word at least once, in as few sentences as it takes. When no word is
    # marked twice, each sentence shows words of its own, so every one of them is needed.
    chosen = list(dict.fromkeys(numbers))
    if len(chosen) > 1:
        keys = list(map(article.keys.__getitem__, ordered))
        if len(set(keys)) < len(keys):
            chosen = sorted(_fewest_sentences(numbers, keys))
    elif not chosen:  # nothing to mark (a site: or lang: watch): the lede, else the headline
        shown = [*range(1, len(article.sentences)), 0]
        chosen = [next((s for s in shown if article.sentences[s][1] > article.sentences[s][0]), 0)]
    if len(chosen) == len(ordered):  # one mark in each sentence
        pieces = list(map(article.piece, chosen, zip(ordered)))
    else:  # the marks are in order, so each sentence's marks follow each other
        pieces = [article.piece(number, tuple(ordered[bisect_left(numbers, number):
                                                      bisect_right(numbers, number)]))
                  for number in chosen]
    return build_snippet(pieces, SNIPPET_CHARS)


def _fewest_sentences(numbers: list[int], keys: list[str]) -> list[int]:
    """Sentences that show every marked key, picked greedily: the one showing most first.

    ``numbers`` and ``keys`` are each mark's sentence and key, the sentences in order."""
    left: dict[int, set[str]] = {}
    for number, key in zip(numbers, keys, strict=True):
        left.setdefault(number, set()).add(key)
    missing = set(keys)
    for number, shown in left.items():  # the usual case: the first sentence showing them all
        if len(shown) == len(missing):
            return [number]
    chosen = []
    while missing:
        best = max(left, key=lambda number: len(missing & left[number]))
        chosen.append(best)
        missing -= left.pop(best)
    return chosen


# -- pre-filter -----------------------------------------------------------------------------

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
        self._indexes: dict[str, WatchIndex] = {}

    def match(self, doc: Document) -> list[Match]:
        """Return one ``Match`` per watch that matches ``doc``, in the watches' order."""
        article = _Article(doc)
        index = self._index(article)
        candidates, wanted = index.lookup(article.key_set)
        if not candidates:
            return []
        if len(candidates) > _SCANS and index.core_checks is None:
            article.index_words(wanted)  # scanning for each of their words would cost more
        verified = _verify(index, candidates, article, _Evaluator(article, index.term_keys))
        snippets = _snippets(article, [marks for _, marks in verified])
        watches = self._watches
        return [Match(watch=watches[number][0], snippet=snippet, marks=spans)
                for (number, _), (snippet, spans) in zip(verified, snippets, strict=True)]

    def _index(self, article: _Article) -> WatchIndex:
        index = self._indexes.get(article.algorithm)
        if index is None:
            queries = (query for _, query in self._watches)
            index = self._indexes[article.algorithm] = WatchIndex(queries, article.key)
        return index


def _verify(index: WatchIndex, candidates: list[int], article: _Article,
            evaluator: _Evaluator) -> list[tuple[int, frozenset[int]]]:
    """The candidates whose checks hold in the article, with the words each marks."""
    if index.core_checks is not None:
        return index.core_checks.run(  # type: ignore[no-any-return]
            candidates, article.keys, article.sentence_of,
            lambda number: index.check(number)(evaluator))
    return verify_in_python(index, candidates, evaluator)


def verify_in_python(index: WatchIndex, candidates: list[int],
                     evaluator: _Evaluator) -> list[tuple[int, frozenset[int]]]:
    """``_verify`` without the C core: the same answer, and the tests' reference for it."""
    checks, found = index.checks, []
    for number in candidates:
        marks = (checks[number] or index.check(number))(evaluator)
        if marks is not None:
            found.append((number, marks))
    return found


def matches(query: Query | str, doc: Document) -> Match | None:
    """Match one query against one article; the match is named after the normalised query."""
    parsed = parse(query) if isinstance(query, str) else query
    found = Matcher({str(parsed): parsed}).match(doc)
    return found[0] if found else None
