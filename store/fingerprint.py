"""Fingerprints of article bodies: which stored articles may be copies, and whether one is.

A body becomes the list of its word shingles in reading order (five words, never across the end
of a sentence). Two things come from it:

- **keys**, a consistent sample of the shingles (those whose CRC-32 is 0 modulo ``SAMPLE``).
  Two bodies that share a passage share keys in proportion to the passage's length, whatever
  else either holds, so a copy cut to its first paragraphs finds its original as surely as a
  full copy does. (MinHash with LSH bands estimates Jaccard similarity instead, which a copy of
  half the length fails, and SimHash only finds near-exact copies.) The keys are the database
  index of ``store.stories``: a lookup is one indexed probe per key.
- **the resemblance** of two bodies, measured exactly on all their shingles (``is_copy``): the
  share of the shorter body the longer one holds (containment); whether each opens with text
  the other has (the lead); and whether the shared text is one body of text in each (density),
  rather than background paragraphs, a quote or a standing intro among new reporting.

The rule and its thresholds are checked on hand-written pairs (``tests/store/story_pairs.py``)
and on a generated set of 10,000 articles (``bench/bench_stories.py``). Changing how keys are
made needs a migration that rebuilds ``story_keys``.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import string
import sys
import unicodedata
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import Any

SHINGLE_WORDS = 5
SAMPLE = 8  # one shingle in eight becomes a key
MIN_SENTENCE_WORDS = 3  # a shorter sentence ("He declined.") is no evidence of copying

# What makes a copy (``Resemblance.is_copy``).
MIN_SHARED = 12  # shingles both bodies hold: about two sentences
MIN_CONTAINMENT = 0.6  # of the shorter body's shingles, the share the longer one holds
LEAD_SHARE = 0.25  # the lead is the first quarter of a body's shingles...
LEAD_MIN = 12  # ...and at least this many of them
MIN_LEAD_OVERLAP = 0.15  # each body's lead, the share found anywhere in the other
MIN_DENSITY = 0.6  # each body's opening up to where 90% of the shared text has appeared:
#                    the share of it that is shared (a cut tail does not count against a copy)

_PUNCTUATION = string.punctuation + "‘’“”«»‹›—–‐‑…·•„‚′″¡¿§¶©®°±×÷€£¥¢。！？、，「」"
# The end of a sentence: a stop (and any closing quote) before a space; a Chinese or Japanese
# stop; the end of a line.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+|[。！？\n]")
_MARKS = re.compile(r"[\u0300-\u036f\u3099\u309a]")  # accents, kana voicing marks
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_CJK_WORDS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]|[^\W_]+")


@dataclass(frozen=True)
class Fingerprint:
    """A body's shingles in reading order (each once, as CRC-32 values) and its index keys."""

    shingles: tuple[int, ...]
    keys: frozenset[int]

    @property
    def size(self) -> int:
        return len(self.shingles)

    @cached_property
    def shingle_set(self) -> frozenset[int]:
        return frozenset(self.shingles)

    def lead(self) -> tuple[int, ...]:
        count = max(LEAD_MIN, math.ceil(LEAD_SHARE * len(self.shingles)))
        return self.shingles[:count]

    def pack(self) -> bytes:
        """The shingles as stored: four bytes each, little-endian."""
        packed = array("I", self.shingles)
        if sys.byteorder == "big":
            packed.byteswap()
        return packed.tobytes()

    @classmethod
    def unpack(cls, data: bytes, keys: Iterable[int] = ()) -> Fingerprint:
        """Stored shingles, enough to compare (``resemblance``); keys are not stored with them,
        so they are only here when given."""
        shingles = array("I")
        shingles.frombytes(data)
        if sys.byteorder == "big":
            shingles.byteswap()
        return cls(shingles=tuple(shingles), keys=frozenset(keys))

    def to_json(self) -> dict[str, Any]:
        """The whole fingerprint as JSON values, for a crawl child to hand it over."""
        return {"shingles": base64.b64encode(self.pack()).decode("ascii"),
                "keys": sorted(self.keys)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        """A fingerprint from ``to_json``; ValueError when ``data`` is not one."""
        try:
            packed = base64.b64decode(data["shingles"], validate=True)
            keys = [int(k) for k in data["keys"]]
        except (KeyError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
            raise ValueError(f"not a body fingerprint: {exc}") from None
        if len(packed) % 4:
            raise ValueError("not a body fingerprint: shingles are not 4 bytes each")
        return cls.unpack(packed, keys)


@dataclass(frozen=True)
class Resemblance:
    """How much of two bodies is the same text."""

    shared: int
    containment: float  # shared / the shorter body's shingles
    lead_overlap: float  # the lower of the two leads' shares found in the other body
    density: float  # the lower of the two bodies' densities of shared text (MIN_DENSITY)

    @property
    def is_copy(self) -> bool:
        """One body is a copy of the other: syndicated, lightly edited or shortened.

        Most of the shorter body is in the longer one; both open the same way; and the text they
        share is one body of text in each, not a quote or background paragraphs spread among
        new reporting. Whatever the longer body adds must come after it: a cut tail.
        """
        return (
            self.shared >= MIN_SHARED
            and self.containment >= MIN_CONTAINMENT
            and self.lead_overlap >= MIN_LEAD_OVERLAP
            and self.density >= MIN_DENSITY
        )


def words(text: str) -> list[list[str]]:
    """The text's sentences as lists of words: case, accents and punctuation ignored.

    Chinese and Japanese characters are words of their own (those scripts use no spaces). This
    runs for every stored and every compared body, so it keeps to a few C-level passes.
    """
    folded = text.casefold()
    split = str.split
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        if len(decomposed) != len(folded):
            folded = _MARKS.sub("", decomposed)
        if _CJK.search(folded):
            split = _CJK_WORDS.findall
    sentences = ([w for w in (t.strip(_PUNCTUATION) for t in split(s)) if w]
                 for s in _SENTENCE_END.split(folded))
    return [s for s in sentences if len(s) >= MIN_SENTENCE_WORDS]


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of an article body."""
    encoded = list(chain.from_iterable(map(_shingles, words(text))))
    crcs = list(map(zlib.crc32, encoded))
    keys = frozenset(key(e) for e, c in zip(encoded, crcs, strict=True) if c % SAMPLE == 0)
    return Fingerprint(shingles=tuple(dict.fromkeys(crcs)), keys=keys)


def key(shingle: bytes) -> int:
    """A sampled shingle's index key: 63 bits, so unrelated shingles do not meet in the index."""
    return int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "big") >> 1


def _shingles(sentence: list[str]) -> Iterable[bytes]:
    """Each run of ``SHINGLE_WORDS`` words, encoded (C-level loops: this is the hot path)."""
    if len(sentence) <= SHINGLE_WORDS:
        return (" ".join(sentence).encode("utf-8"),)
    runs = zip(*(sentence[i:] for i in range(SHINGLE_WORDS)), strict=False)
    return map(str.encode, map(" ".join, runs))


def resemblance(a: Fingerprint, b: Fingerprint) -> Resemblance:
    """Compare two fingerprints exactly."""
    set_a, set_b = a.shingle_set, b.shingle_set
    shared = len(set_a & set_b)
    if not shared:
        return Resemblance(shared=0, containment=0.0, lead_overlap=0.0, density=0.0)
    return Resemblance(
        shared=shared,
        containment=shared / min(len(set_a), len(set_b)),
        lead_overlap=min(_lead_overlap(a, set_b), _lead_overlap(b, set_a)),
        density=min(_density(a, set_b), _density(b, set_a)),
    )


def _lead_overlap(body: Fingerprint, other: frozenset[int]) -> float:
    lead = body.lead()
    return sum(s in other for s in lead) / len(lead)


def _density(body: Fingerprint, other: frozenset[int]) -> float:
    """Of the body's opening that holds 90% of the shingles it shares, the share it shares."""
    positions = [i for i, s in enumerate(body.shingles) if s in other]
    needed = math.ceil(0.9 * len(positions))
    return needed / (positions[needed - 1] + 1)
