"""Snippets for matched watch queries: the matching sentences, trimmed around the marked words.

``build_snippet`` joins sentences into one line; sentences that do not follow each other in the
article are joined with " … ". When the whole is longer than the limit, each sentence keeps a
window of its share of the limit around its marked words, cut at spaces, with "…" where text
was left out. Marked words are never cut.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["ELLIPSIS", "MIN_SHARE", "Piece", "build_snippet"]

ELLIPSIS = "…"
MIN_SHARE = 80  # characters of context a sentence keeps however many are shown
_SPACE = re.compile(r"\s")  # what str.isspace() holds for, found in C

Marks = tuple[tuple[int, int], ...]


class Piece(NamedTuple):
    """One sentence to show: its number in the article, its text, and the marks within it."""

    sentence: int
    text: str
    marks: Marks


def build_snippet(pieces: list[Piece], limit: int) -> tuple[str, Marks]:
    """Join ``pieces`` (in article order) into a snippet of about ``limit`` characters."""
    texts = [piece.text.replace("\n", " ").replace("\r", " ").replace("\t", " ")
             for piece in pieces]
    trim = sum(map(len, texts)) + 3 * (len(pieces) - 1) > limit
    share = limit if len(pieces) <= 1 else max(limit // len(pieces), MIN_SHARE)
    out, marks, previous = "", [], -1
    for piece, text in zip(pieces, texts, strict=True):
        spans = piece.marks
        if trim:
            text, spans = _trim(text, spans, share)
        if previous >= 0:
            # Sentence 0 is the headline, so it never runs on into the body's first sentence.
            follows = previous >= 1 and piece.sentence == previous + 1
            gap = follows or out.endswith(ELLIPSIS) or text.startswith(ELLIPSIS)
            out += " " if gap else f" {ELLIPSIS} "
        shift = len(out)
        marks += [(start + shift, end + shift) for start, end in spans] if shift else spans
        out += text
        previous = piece.sentence
    return out, tuple(marks)


def _trim(text: str, marks: Marks, share: int) -> tuple[str, Marks]:
    if len(text) <= share:
        return text, marks
    clusters: list[list[tuple[int, int]]] = []
    for mark in sorted(marks):
        if clusters and mark[1] - clusters[-1][0][0] <= share:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    windows = [_window(text, c[0][0], max(e for _, e in c), share // len(clusters))
               for c in clusters] or [_window(text, 0, 0, share)]
    merged: list[tuple[int, int]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, shifted = ELLIPSIS if merged[0][0] > 0 else "", []
    for number, (start, end) in enumerate(merged):
        if number:
            out += f" {ELLIPSIS} "
        shifted.extend((a - start + len(out), b - start + len(out))
                       for a, b in marks if start <= a and b <= end)
        out += text[start:end]
    if merged[-1][1] < len(text):
        out += ELLIPSIS
    return out, tuple(shifted)


def _window(text: str, low: int, high: int, size: int) -> tuple[int, int]:
    """A window of about ``size`` characters holding ``text[low:high]``, cut at spaces."""
    room = max(size - (high - low), 0)
    start = max(0, low - room // 2)
    end = min(len(text), high + room - (low - start))
    start = max(0, min(start, end - max(size, high - low)))
    if start > 0 and not text[start - 1].isspace():  # cut after the first space, if any
        space = _SPACE.search(text, start, low)
        start = low if space is None else space.end()
    if end < len(text) and not text[end].isspace():  # cut at the last space, if any
        space = _SPACE.search(text[high:end][::-1])
        end = high if space is None else end - space.end()
    while start < low and text[start].isspace():
        start += 1
    while end > high and text[end - 1].isspace():
        end -= 1
    return start, end
