"""Matching watch queries against articles.

``Matcher`` holds many watches and checks an article against all of them: the article is
tokenised, split into sentences and stemmed once, in its own language, and each watch's words
are stemmed in that language too (once per language, then cached). Before a watch is verified,
a term pre-filter (as Lucene's Monitor does) drops it unless the article contains at least one
word of a set the watch cannot match without: for ``Putin visit OR Xi trip`` that is the rarer
word of each side, rarity being guessed from the length of the stem.

Each match comes with a snippet: the sentences holding the matched words, trimmed to about
``SNIPPET_CHARS`` characters around them with "…" where text was cut, and the offsets of every
matched word in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from alerts.qsnippet import Piece, build_snippet
from alerts.query import And, Lang, Near, Not, Or, Query, Sentence, Site, Term, parse
from alerts.text import guess_language, snowball_language, split_sentences, tokenize, word_key_for

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


class _Word(NamedTuple):
    start: int
    end: int
    sentence: int  # 0 is the headline; the body's sentences follow
    key: str


_Span = tuple[int, int, tuple[int, ...]]  # first word, last word, the words to mark
_TITLE = 0


class _Article:
    """A document cut into words and sentences, with its words' keys indexed."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        language = doc.language or guess_language(doc.title + " " + doc.text)
        self.algorithm = snowball_language(language)
        self.key = word_key_for(self.algorithm)
        title = doc.title.strip()
        start = doc.title.find(title) if title else 0
        self.sentences = [(start, start + len(title))]
        self.sentences += split_sentences(doc.text)
        self.words: list[_Word] = []
        for number, (begin, end) in enumerate(self.sentences):
            source = doc.title if number == _TITLE else doc.text
            for word, offset, stop in tokenize(source[begin:end], begin):
                self.words.append(_Word(offset, stop, number, self.key(word)))
        self.index: dict[str, list[int]] = {}
        for position, word in enumerate(self.words):
            self.index.setdefault(word.key, []).append(position)
        self.host = _host(doc.url)

    def source(self, sentence: int) -> str:
        return self.doc.title if sentence == _TITLE else self.doc.text


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
        self.words = article.words
        self._spans: dict[Query, list[_Span]] = {}

    def spans(self, node: Query) -> list[_Span]:
        cached = self._spans.get(node)
        if cached is None:
            cached = self._spans[node] = self._find_spans(node)
        return cached

    def _find_spans(self, node: Query) -> list[_Span]:
        if isinstance(node, Term):
            return self._term_spans(node)
        if isinstance(node, Or):
            return [span for part in node.parts for span in self.spans(part)]
        assert isinstance(node, Near)
        found = []
        for left in self.spans(node.left):
            for right in self.spans(node.right):
                first, last = (left, right) if left[1] < right[0] else (right, left)
                if first[1] >= last[0]:  # overlapping: the same words cannot be both sides
                    continue
                gap = last[0] - first[1] - 1
                same_field = (self.words[first[0]].sentence == _TITLE) == (
                    self.words[last[0]].sentence == _TITLE)
                if gap <= node.distance and same_field:
                    found.append((first[0], last[1], first[2] + last[2]))
        return found

    def _term_spans(self, node: Term) -> list[_Span]:
        keys = [self.article.key(word) for word in node.words]
        words, length = self.words, len(keys)
        found = []
        for start in self.article.index.get(keys[0], ()):
            if node.title and words[start].sentence != _TITLE:
                continue
            end = start + length
            if end > len(words) or any(
                words[start + k].key != keys[k] or words[start + k].sentence
                != words[start].sentence for k in range(1, length)
            ):
                continue
            found.append((start, end - 1, tuple(range(start, end))))
        return found

    def evaluate(self, node: Query, sentence: int | None = None) -> frozenset[int] | None:
        """Match ``node`` in the whole article, or within one sentence when one is given."""
        if isinstance(node, Term) and node.title:
            sentence = None  # headline words hold for the article, wherever they are asked
        if isinstance(node, (Term, Near)):
            spans = self.spans(node)
            if sentence is not None:
                words = self.words
                spans = [s for s in spans if words[s[0]].sentence == words[s[1]].sentence
                         == sentence]
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
        candidates: set[int] = set()
        for part in node.parts:
            result = self.evaluate(part)
            if result is None:
                return None
            candidates.update(self.words[w].sentence for w in result)
        spare = next((s for s in range(len(self.article.sentences)) if s not in candidates), None)
        if spare is not None:
            candidates.add(spare)
        found = [self.evaluate(node, s) for s in sorted(candidates)]
        marks = [result for result in found if result is not None]
        return frozenset().union(*marks) if marks else None


def _site_matches(name: str, article: _Article) -> bool:
    host = article.host
    return (article.doc.site.strip().lower() == name
            or bool(host) and (host == name or host.endswith("." + name)))


def _language_matches(code: str, doc: Document) -> bool:
    language = (doc.language or "").strip().lower().replace("_", "-")
    return language == code or language.startswith(code + "-")


def _snippet(article: _Article, marks: frozenset[int]) -> tuple[str, tuple[tuple[int, int], ...]]:
    words = article.words
    by_sentence: dict[int, list[int]] = {}
    for w in sorted(marks):
        by_sentence.setdefault(words[w].sentence, []).append(w)
    # Show each matched word at least once, in as few sentences as it takes.
    chosen: list[int] = []
    missing = {words[w].key for w in marks}
    while missing:
        best = max(by_sentence, key=lambda s: len(missing & {words[w].key for w in by_sentence[s]}))
        chosen.append(best)
        missing -= {words[w].key for w in by_sentence.pop(best)}
    if not chosen:  # nothing to mark: a site: or lang: watch shows the headline
        chosen = [next((s for s, (a, b) in enumerate(article.sentences) if b > a), 0)]
    pieces = []
    for number in sorted(chosen):
        begin, end = article.sentences[number]
        text = article.source(number)[begin:end]
        spans = tuple((words[w].start - begin, words[w].end - begin)
                      for w in sorted(marks) if words[w].sentence == number)
        pieces.append(Piece(number, text, spans))
    return build_snippet(pieces, SNIPPET_CHARS)


# -- pre-filter -----------------------------------------------------------------------------

def _required(node: Query, key: Callable[[str], str]) -> frozenset[str] | None:
    """Keys of which any matching article holds at least one, or None when there is no such set."""
    if isinstance(node, Term):
        return frozenset({max((key(word) for word in node.words), key=len)})
    if isinstance(node, Or):
        options = [_required(part, key) for part in node.parts]
        return None if None in options else frozenset().union(*options)
    if isinstance(node, (And, Sentence, Near)):
        parts = node.parts if not isinstance(node, Near) else (node.left, node.right)
        options = [o for o in (_required(part, key) for part in parts) if o is not None]
        return max(options, key=lambda o: (min(map(len, o)), -len(o)), default=None)
    return None


class _Index:
    """Watches by required key, for one stemming language."""

    def __init__(self, queries: Iterable[Query], key: Callable[[str], str]) -> None:
        self.by_key: dict[str, list[int]] = {}
        self.always: list[int] = []
        for number, query in enumerate(queries):
            required = _required(query, key)
            if required is None:
                self.always.append(number)
            for required_key in required or ():
                self.by_key.setdefault(required_key, []).append(number)

    def candidates(self, keys: Iterable[str]) -> list[int]:
        found = set(self.always)
        for key in keys:
            found.update(self.by_key.get(key, ()))
        return sorted(found)


class Matcher:
    """Matches articles against a fixed set of named watches."""

    def __init__(self, watches: Mapping[str, Query | str]) -> None:
        self._watches = tuple(
            (name, parse(query) if isinstance(query, str) else query)
            for name, query in watches.items()
        )
        self._indexes: dict[str, _Index] = {}

    def match(self, doc: Document) -> list[Match]:
        """Return one ``Match`` per watch that matches ``doc``, in the watches' order."""
        article = _Article(doc)
        evaluator = _Evaluator(article)
        found = []
        for number in self._candidates(article):
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
        return index.candidates(article.index)


def matches(query: Query | str, doc: Document) -> Match | None:
    """Match one query against one article; the match is named after the normalised query."""
    parsed = parse(query) if isinstance(query, str) else query
    found = Matcher({str(parsed): parsed}).match(doc)
    return found[0] if found else None
