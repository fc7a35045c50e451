"""Text overlap of an extraction with its reference: precision, recall and F1 over shingles.

A shingle is 4 consecutive ``\\w+`` tokens of the casefolded text, so the figure counts runs of
words in the reference's order, not loose words. Scripts written without spaces (Chinese,
Japanese) make each run between punctuation marks one token: both sides are cut alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SHINGLE", "Overlap", "overlap", "shingles"]

SHINGLE = 4
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Overlap:
    precision: float
    recall: float
    f1: float


def shingles(text: str) -> set[tuple[str, ...]]:
    words = _TOKEN.findall(text.casefold())
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def overlap(output: str, reference: str) -> Overlap:
    """``output``'s shingles against ``reference``'s; all zero when either has none."""
    found, wanted = shingles(output), shingles(reference)
    common = len(found & wanted)
    if not common:
        return Overlap(0.0, 0.0, 0.0)
    precision, recall = common / len(found), common / len(wanted)
    return Overlap(precision, recall, 2 * precision * recall / (precision + recall))
