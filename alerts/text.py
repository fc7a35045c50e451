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
import threading
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

__all__ = [
    "Token",
    "fold",
    "guess_language",
    "snowball_language",
    "split_sentences",
    "stemmer_for",
    "tokenize",
    "word_key_for",
]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


class Token(NamedTuple):
    """One word of a text: its surface form and where it sits (``text[start:end] == word``)."""

    word: str
    start: int
    end: int


@functools.cache
def _token_pattern() -> re.Pattern[str]:
    # Python's \w leaves out combining marks, which would cut Hindi or decomposed Latin words
    # apart, so the marks are added as ranges. Building them takes a few tens of milliseconds,
    # once, on first use rather than at import.
    ranges, start = [], None
    for code in range(0x300, 0x20000):
        is_mark = unicodedata.category(chr(code)).startswith("M")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{code - 1:08x}")
            start = None
    char = f"(?:(?![{_CJK}])[\\w{''.join(ranges)}])"
    return re.compile(
        rf"(?:[^\W\d_]\.){{2,}}(?!{char})"  # dotted acronyms: U.S., e.g.
        rf"|[{_CJK}]"  # one word per Chinese or Japanese character
        rf"|{char}+(?:(?:(?<=\d)[.,](?=\d)|['’](?={char})){char}+)*"
    )


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Return the words of ``text``; ``offset`` is added to every position."""
    return [Token(m.group(), m.start() + offset, m.end() + offset)
            for m in _token_pattern().finditer(text)]


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


def guess_language(text: str) -> str | None:
    """Guess a language from its script (Cyrillic, Greek, Arabic…), or None for Latin and others."""
    counts = dict.fromkeys((name for name, _, _ in _SCRIPTS), 0)
    latin = 0
    for char in text[:2000]:
        code = ord(char)
        if code < 0x250:
            latin += char.isalpha()
            continue
        for name, low, high in _SCRIPTS:
            if low <= code < high:
                counts[name] += 1
    name, count = max(counts.items(), key=lambda item: item[1])
    return name if count > latin else None


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
            with self._lock:
                stem = self._stemmer.stemWord(word)
            if len(self._cache) < self._CACHE_SIZE:
                self._cache[word] = stem
        return stem


@functools.cache
def _stemmer(algorithm: str) -> _Stemmer:
    return _Stemmer(algorithm)


def stemmer_for(language: str | None) -> Callable[[str], str]:
    """Return the stemmer for a language tag: a function from a folded word to its stem."""
    return _stemmer(snowball_language(language))


_ELISIONS = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu",
                       "puisqu", "quoiqu", "dell", "dall", "nell", "sull", "all", "un"})


class _WordKeys:
    def __init__(self, algorithm: str) -> None:
        self._stem = _stemmer(algorithm)
        self._turkish = algorithm == "turkish"
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        key = self._cache.get(word)
        if key is None:
            key = self._key(word)
            if len(self._cache) < _Stemmer._CACHE_SIZE:
                self._cache[word] = key
        return key

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
        if any(char.isdigit() for char in word):
            return word
        return self._stem(word)


@functools.cache
def word_key_for(language: str | None) -> Callable[[str], str]:
    """Return the function that turns a word into its match key for a language tag."""
    algorithm = snowball_language(language)
    if algorithm != language:
        return word_key_for(algorithm)
    return _WordKeys(algorithm)


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
_STOP = re.compile(r"(?P<stop>[.!?…]+)[\"'”’»)\]]*(?=\s)")
_HARD_STOP = re.compile(r"[。！？।॥؟][\"'”’»)\]」』）]*")
_BEFORE = re.compile(r"[\w.'’-]*$")
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")


def _ends_sentence(line: str, stop: re.Match[str]) -> bool:
    rest = line[stop.end():].lstrip()
    if not rest:
        return True
    following = rest[0]
    if following.islower():
        return False
    if stop["stop"] != ".":
        return True
    before = _BEFORE.search(line, max(0, stop.start() - 40), stop.start())
    word = before.group() if before else ""
    if word in _TITLES or (len(word) == 1 and word.isalpha()):
        return False
    if word in _NUMBERING:
        return not following.isdigit()
    if word in _SUFFIXES or _ACRONYM.fullmatch(word):
        opener = re.match(r"\w+", rest)
        return bool(opener) and opener.group() in _OPENERS
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` offsets of each sentence of ``text``, whitespace trimmed.

    A line break always ends a sentence, so each paragraph starts a new one.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        cuts = {m.end() for m in _HARD_STOP.finditer(line)}
        cuts.update(m.end() for m in _STOP.finditer(line) if _ends_sentence(line, m))
        start = 0
        for cut in sorted(cuts) + [len(line)]:
            piece = line[start:cut]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                spans.append((position + start + lead, position + start + lead + len(stripped)))
            start = cut
        position += len(line) + 1
    return spans
