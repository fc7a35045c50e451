"""Text analysis shared by watch queries and the articles they are matched against.

The same steps run on both sides, so a query word and an article word meet in the same form:

* ``tokenize`` finds words with their character offsets. A word is a run of letters, digits and
  combining marks; "3.5" and "190,000" stay whole, "U.S." is one word, each Chinese or Japanese
  character is a word of its own, and "Xi-Putin" is two words.
* ``fold`` casefolds and strips accents from Latin, Greek and Cyrillic letters ("Türkiye" and
  "Turkiye" fold alike) while leaving the marks that other scripts spell with (Hindi vowel
  signs) and the Cyrillic "й" alone.
* ``word_key_for(language)`` turns a word into its match key: folded, with French or Italian
  elision ("l'", "d'") and the English possessive "'s" removed, then stemmed with the Snowball
  stemmer of the language (English when the language is unknown or has no stemmer).
* ``split_sentences`` cuts a text into sentences without being fooled by abbreviations
  ("Mr.", "Jan."), initials, dotted acronyms ("U.S."), decimals ("3.5%") or quotes.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable
from itertools import chain, compress, count
from operator import not_
from typing import NamedTuple, TypeVar

__all__ = [
    "Token",
    "WordKeys",
    "WordSpans",
    "fold",
    "guess_language",
    "is_plain",
    "snowball_language",
    "split_run",
    "split_sentences",
    "stemmer_for",
    "tokenize",
    "word_key_for",
    "word_pattern",
    "words_of",
]

_V = TypeVar("_V")

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


class Token(NamedTuple):
    """One word of a text: its surface form and where it sits (``text[start:end] == word``)."""

    word: str
    start: int
    end: int


@functools.cache
def _mark_ranges() -> tuple[tuple[int, int], ...]:
    # Python's \w leaves out combining marks, which would cut Hindi or decomposed Latin words
    # apart, so the marks are added as ranges. Building them takes a few tens of milliseconds,
    # once, on first use rather than at import.
    ranges, start = [], None
    for code in range(0x300, 0x20000):
        is_mark = unicodedata.category(chr(code)).startswith("M")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append((start, code - 1))
            start = None
    return tuple(ranges)


def _class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    char = f"(?:(?![{_CJK}])[\\w{_class(_mark_ranges())}])"
    return re.compile(
        rf"(?:[^\W\d_]\.){{2,}}(?!{char})"  # dotted acronyms: U.S., e.g.
        rf"|[{_CJK}]"  # one word per Chinese or Japanese character
        rf"|{char}+(?:(?:(?<=\d)[.,](?=\d)|['’](?={char})){char}+)*"
    )


# The same words for texts without combining marks or Chinese and Japanese characters, where a
# word character is plain \w: the full pattern tests its huge class and a look-ahead at every
# character, which makes it some thirty times slower.
_PLAIN_PATTERN = re.compile(
    r"(?:[^\W\d_]\.){2,}(?!\w)|\w+(?:(?:(?<=\d)[.,](?=\d)|['’](?=\w))\w+)*")


@functools.cache
def _special() -> re.Pattern[str]:
    # Characters that need the full pattern. Every character outside the Basic Multilingual
    # Plane is sent there too: that keeps this class a bitmap and one range, quick to test.
    marks = _class((low, high) for low, high in _mark_ranges() if high < 0x10000)
    return re.compile(f"[{_CJK}{marks}\\U00010000-\\U0010ffff]")


def word_pattern(text: str) -> re.Pattern[str]:
    """The pattern that finds the words of ``text``: a quick one when the text allows it."""
    return _token_pattern() if _special().search(text) else _PLAIN_PATTERN


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Return the words of ``text``; ``offset`` is added to every position."""
    return [Token(m.group(), m.start() + offset, m.end() + offset)
            for m in word_pattern(text).finditer(text)]


class WordSpans:
    """Where each word of ``text[start:end]`` starts and ends, found one word at a time.

    The span is cut at spaces into runs. Most runs are one plain word: letters only, in a
    text without the characters only the full word pattern knows, and such a run is a word
    from end to end. The words of the other runs are remembered across texts (a news story's
    runs are mostly words seen before), so finding a word costs a look-up instead of a pattern
    search over its sentence; the test for letters is quicker still than that look-up, whose
    memory is large. A word never holds a space, and the word patterns look at most one
    character past a word, so a run has the same words alone as in its text.

    ``text`` is the span's text, ``text[start:end]``.
    """

    def __init__(self, text: str, start: int, end: int) -> None:
        self.start = start
        self.text = span = text[start:end]
        self.runs = runs = span.split(" ")
        # The runs that are not one word from end to end, in order, with their words' spans.
        if is_plain(span):
            others = compress(count(), map(not_, map(str.isalpha, runs)))
            self.others = [(run, _plain_run_spans(runs[run])) for run in others]
        else:
            self.others = list(enumerate(map(_RUN_SPANS.__getitem__, runs)))

    def __getitem__(self, number: int) -> tuple[int, int]:
        (low, high), = self.within((number,))
        return self.start + low, self.start + high

    def within(self, numbers: Iterable[int], first: int = 0) -> tuple[tuple[int, int], ...]:
        """Where these words start and end, counted from ``start``; ``first`` is the number
        of the span's first word, for numbers counted through a longer text."""
        runs = self.runs
        found = []
        for number in numbers:
            run, (low, high) = self._find(number - first)
            offset = sum(map(len, runs[:run])) + run  # the runs before, and a space after each
            found.append((offset + low, offset + high))
        return tuple(found)

    def _find(self, number: int) -> tuple[int, tuple[int, int]]:
        """The run holding word ``number`` of the span, and where the word is in the run."""
        extra = 0  # words the other runs before hold beyond one each
        for run, spans in self.others:
            if number < run + extra:  # in a one-word run before this one
                break
            if number < run + extra + len(spans):
                return run, spans[number - run - extra]
            extra += len(spans) - 1
        run = number - extra
        return run, (0, len(self.runs[run]))


def is_plain(text: str) -> bool:
    """Whether ``text`` holds none of the characters only the full word pattern knows, so
    that a run of letters in it is one word."""
    return text.isascii() or not _special().search(text)


def split_run(run: str, plain: bool) -> tuple[tuple[int, int], ...]:
    """The spans of the words of a run of text between spaces, as ``WordSpans`` finds them;
    ``plain`` tells whether the run's text ``is_plain``."""
    return _plain_run_spans(run) if plain else _RUN_SPANS[run]


def _plain_run_spans(run: str) -> tuple[tuple[int, int], ...]:
    """The spans of the words of a run of plain text (which the quick pattern splits alike).

    Letters with one other sign after them ("Beijing.", "Putin,") are one word without the
    sign: worked out here, as the usual case, rather than looked up.
    """
    last = run[-1:]
    if run[:-1].isalpha() and not (last.isalnum() or last == "_"):
        return ((0, len(run) - 1),)
    return _RUN_SPANS[run]


def words_of(text: str, spans: list[tuple[int, int]]) -> tuple[list[str], list[int]]:
    """The words of each ``(start, end)`` span of ``text``, run together, and their counts.

    Only the words' text is kept, which is much cheaper than ``tokenize``'s offsets.
    """
    findall = word_pattern(text).findall
    words: list[str] = []
    counts = []
    for start, end in spans:
        found = findall(text, start, end)
        words += found
        counts.append(len(found))
    return words, counts


# Letters that carry no combining mark to strip but are still told apart from their base
# letter only by an accent in most users' minds.
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                          "œ": "oe", "ı": "i", "ħ": "h", "ŀ": "l", "’": "'"})


def _strips_marks(base: str) -> bool:
    # Latin, Greek and Cyrillic, including their extended blocks.
    code = ord(base)
    return code < 0x530 or 0x1D00 <= code < 0x2000


def fold(text: str) -> str:
    """Casefold ``text`` and strip accents (Latin, Greek and Cyrillic letters only)."""
    if text.isascii():
        return text.lower()
    out: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFKD", text.casefold()):
        if not unicodedata.combining(char):
            base = char
            out.append(char)
        elif not (base and _strips_marks(base)) or (base == "и" and char == "\u0306"):
            out.append(char)
    return unicodedata.normalize("NFC", "".join(out)).translate(_LETTERS)


_ALGORITHMS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}


@functools.cache
def _available() -> frozenset[str]:
    try:
        import Stemmer

        return frozenset(Stemmer.algorithms())
    except ImportError:
        import snowballstemmer

        return frozenset(snowballstemmer.algorithms())


def snowball_language(language: str | None) -> str:
    """Return the Snowball algorithm for a language tag ("en", "pt-BR", "russian"), or "english"."""
    if not language:
        return "english"
    tag = language.strip().lower().replace("_", "-")
    name = _ALGORITHMS.get(tag.split("-")[0], tag)
    return name if name in _available() else "english"


# Scripts whose language can be told from the letters alone, for articles without a language.
_SCRIPTS = (("russian", 0x400, 0x530), ("armenian", 0x530, 0x590), ("arabic", 0x600, 0x700),
            ("hindi", 0x900, 0x980), ("tamil", 0xB80, 0xC00), ("greek", 0x370, 0x400))


@functools.cache
def _script_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    latin = "".join(re.escape(chr(code)) for code in range(0x250) if chr(code).isalpha())
    return (("", re.compile(f"[{latin}]")),
            *((name, re.compile(f"[{chr(low)}-{chr(high - 1)}]")) for name, low, high in _SCRIPTS))


def guess_language(text: str) -> str | None:
    """Guess a language from its script (Cyrillic, Greek, Arabic…), or None for Latin and others."""
    sample = text[:2000]
    (_, latin), *scripts = _script_patterns()
    latin_count = len(latin.findall(sample))
    counts = {name: len(pattern.findall(sample)) for name, pattern in scripts}
    name, count = max(counts.items(), key=lambda item: item[1])
    return name if count > latin_count else None


class _Stemmer:
    """A Snowball stemmer with a bounded cache, safe to share between threads."""

    _CACHE_SIZE = 50_000

    def __init__(self, algorithm: str) -> None:
        try:
            import Stemmer

            self._stemmer = Stemmer.Stemmer(algorithm)
        except ImportError:
            import snowballstemmer

            self._stemmer = snowballstemmer.stemmer(algorithm)
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            stem = self.uncached(word)
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()  # start afresh, so the words of today's news are cached
            self._cache[word] = stem
        return stem

    def uncached(self, word: str) -> str:
        """Stem without the cache, for callers that cache what they make of the stem."""
        with self._lock:
            return self._stemmer.stemWord(word)


@functools.cache
def _stemmer(algorithm: str) -> _Stemmer:
    return _Stemmer(algorithm)


def stemmer_for(language: str | None) -> Callable[[str], str]:
    """Return the stemmer for a language tag: a function from a folded word to its stem."""
    return _stemmer(snowball_language(language))


_ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
                       "puisqu", "quoiqu", "dell", "dall", "nell", "sull", "all", "un"})


class _Memo(dict[str, _V]):
    """Values worked out from string keys, remembered in two generations of ``size`` each.

    When the new generation is full it becomes the old one, and a key found only in the old
    one moves back into the new: the words of recent news stay known, where a memory that
    started afresh when full would work every word out again at once. Lookups of known keys
    (``memo[key]``, also through ``map``) cost one dictionary look-up in C.
    """

    def __init__(self, make: Callable[[str], _V], size: int) -> None:
        super().__init__()
        self._make = make
        self._size = size
        self._old: dict[str, _V] = {}

    def __missing__(self, key: str) -> _V:
        value = self._old.get(key)
        if value is None:
            value = self._make(key)
        if len(self) >= self._size:
            self._old = dict(self)
            self.clear()
        self[key] = value
        return value


def _run_spans(run: str) -> tuple[tuple[int, int], ...]:
    return tuple(match.span() for match in word_pattern(run).finditer(run))


# Entries per generation of each memory of words or runs. Full, the word and run memories of
# one language hold some 25 MB, the word offsets some 15 MB.
_GENERATION = 50_000
_RUN_SPANS: _Memo[tuple[tuple[int, int], ...]] = _Memo(_run_spans, _GENERATION)


class WordKeys:
    """Turns words into match keys for one language, remembering the words it has seen."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._stem = _stemmer(algorithm).uncached  # the memory below holds the stems already
        self._turkish = algorithm == "turkish"
        self._words: _Memo[str] = _Memo(self._key, _GENERATION)
        # Runs of text between white space, each with the keys of its words ("Putin," holds
        # "putin"). No word reaches across white space and the word patterns look at most one
        # character past a word, so a run has the same words alone as in its text.
        self._runs: _Memo[tuple[str, ...]] = _Memo(self._run_keys, _GENERATION)

    def __call__(self, word: str) -> str:
        return self._words[word]

    def keys(self, words: list[str]) -> list[str]:
        """The keys of many words at once: a dictionary look-up each, once they are known."""
        return list(map(self._words.__getitem__, words))

    def span_keys(self, text: str, spans: list[tuple[int, int]]) -> tuple[list[str], list[int]]:
        """The keys of the words of each ``(start, end)`` span of ``text``, and their counts.

        The same as ``keys`` of ``words_of``, but most runs of text are known already, so a
        span costs a split and a look-up per run instead of a pattern search per word.
        """
        runs = self._runs.__getitem__
        keys: list[str] = []
        counts: list[int] = []
        for start, end in spans:
            before = len(keys)
            keys.extend(chain.from_iterable(map(runs, text[start:end].split())))
            counts.append(len(keys) - before)
        return keys, counts

    def _run_keys(self, run: str) -> tuple[str, ...]:
        return tuple(map(self._words.__getitem__, word_pattern(run).findall(run)))

    def _key(self, word: str) -> str:
        word = fold(word)
        if word.endswith("."):  # dotted acronym
            word = word.replace(".", "")
        if "'" in word:
            parts = word.split("'")
            if self._turkish:  # Türkiye'nin: the suffix after a proper noun
                parts = parts[:1]
            if len(parts) > 1 and parts[-1] == "s":
                parts.pop()
            if len(parts) > 1 and parts[0] in _ELISIONS:
                parts.pop(0)
            word = "".join(parts)
        # Interned: equal keys are one object ("Visit" and "visits" make one key), so the C
        # core finds a key's words by its address, and dictionaries compare by address first.
        if any(char.isdigit() for char in word):
            return sys.intern(word)
        return sys.intern(self._stem(word))


@functools.cache
def word_key_for(language: str | None) -> WordKeys:
    """Return the function that turns a word into its match key for a language tag."""
    algorithm = snowball_language(language)
    if algorithm != language:
        return word_key_for(algorithm)
    return WordKeys(algorithm)


# Abbreviations after which a full stop never ends a sentence, and those after which it does
# only when a common sentence opener follows ("Apple Inc. The company…", "the U.S. The…").
_TITLES = frozenset(
    "Mr Mrs Ms Mx Dr Prof Sen Rep Gov Gen Col Lt Sgt Capt Cmdr Adm Maj Cpl Pvt St Rev Hon Pres "
    "Supt Insp Det Atty Messrs Mme Mlle Ave Blvd Rd Mt Ft vs v al approx ca cf".split()
)
_NUMBERING = frozenset("No Nos Vol Fig Art Nr p pp".split())  # only before a number: "No. 10"
_SUFFIXES = frozenset(
    "Inc Ltd Co Corp Bros Jr Sr Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues "
    "Wed Thu Thur Thurs Fri Sat Sun Dept Univ Est".split()
)
_OPENERS = frozenset(
    "The A An He She It They We I You His Her Its Their Our My This That These Those There But "
    "And So Yet However Meanwhile In On At For After Before When While As If Although Though "
    "Since Because Last Next Earlier Later Now Then Still Also Some Many Most Other Both All "
    "Not One What Who Why How According Officials".split()
)
# A full stop (or ! ? …) and closing quotes before a space, with the word that follows.
_STOP = re.compile(r"(?P<stop>[.!?…]+)[\"'”’»)\]]*(?=\s+(?P<next>\w*))")
_SIGN = re.compile(r"[.!?…]")  # where a stop can start
_HARD_SIGNS = "。！？।॥؟"
_HARD_STOP = re.compile(f"[{_HARD_SIGNS}]" r"[\"'”’»)\]」』）]*")
_BEFORE = re.compile(r"[\w.'’-]{0,40}")  # matched backwards, on the line reversed
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")


def _ends_sentence(line: str, backwards: str, stop: re.Match[str]) -> bool:
    following = stop.start("next")  # where the next word or sign starts
    if following == len(line):
        return True
    if line[following].islower():
        return False
    start, end = stop.span("stop")
    if end - start != 1 or line[start] != ".":
        return True
    word = _BEFORE.match(backwards, len(line) - start).group()[::-1]
    if word in _TITLES or (len(word) == 1 and word.isalpha()):
        return False
    if word in _NUMBERING:
        return not line[following].isdigit()
    if word in _SUFFIXES or ("." in word and _ACRONYM.fullmatch(word)):  # "." fails quicker
        return stop["next"] in _OPENERS
    return True


def _stops(line: str) -> list[re.Match[str]]:
    """What ``_STOP.finditer(line)`` finds, found sooner: a stop starts only at a sign, and a
    search for one class of characters skips ahead quickly where ``_STOP`` tries each place."""
    found: list[re.Match[str]] = []
    end, match = 0, _STOP.match
    for sign in _SIGN.finditer(line):
        if sign.start() >= end:
            stop = match(line, sign.start())
            if stop:
                found.append(stop)
                end = stop.end()
    return found


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` offsets of each sentence of ``text``, whitespace trimmed.

    A line break always ends a sentence, so each paragraph starts a new one.
    """
    if _split_in_c is None:
        return split_sentences_in_python(text)
    return _split_in_c(text, _TITLES, _NUMBERING, _SUFFIXES, _OPENERS)  # type: ignore[no-any-return]


try:
    from alerts._core import split_sentences as _split_in_c
except ImportError:  # installed without a C compiler
    _split_in_c = None


def split_sentences_in_python(text: str) -> list[tuple[int, int]]:
    """``split_sentences`` without the C core: the same answer, and the tests' reference."""
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        backwards = line[::-1]
        cuts = [m.end() for m in _stops(line) if _ends_sentence(line, backwards, m)]
        if any(sign in line for sign in _HARD_SIGNS):  # a substring test is quicker to fail
            cuts = sorted({*cuts, *(m.end() for m in _HARD_STOP.finditer(line))})
        start = 0
        for cut in [*cuts, len(line)]:
            piece = line[start:cut]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                spans.append((position + start + lead, position + start + lead + len(stripped)))
            start = cut
        position += len(line) + 1
    return spans
