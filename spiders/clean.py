"""Dropping page furniture that survives main-text extraction.

The extractor keeps whatever sits inside the article container, and many sites put their
"Read More:" links, newsletter promos, share bars and "Loading..." placeholders there. A watch
must never match those, so each extracted block is judged here, by what it says and how much of
it is link text, never by one site's class names.

The rules are data: extend the pattern tuples below rather than adding code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BOILERPLATE_PATTERNS",
    "LINK_LABELS",
    "Block",
    "clean_blocks",
    "is_furniture",
]

#: Labels that open a block pointing to other pages: "Read More: <headline>", "Related stories".
#: A block matches when the label is followed by a separator or ends the block.
LINK_LABELS: tuple[str, ...] = (
    r"read (more|also|next)",
    r"also read",
    r"see also",
    r"related( (stories|articles|content|coverage|links|news|topics))?",
    r"more (on|about) this( story| topic)?",
    r"more from [\w ]{1,30}",
    r"recommended( for you| stories| reading)?",
    r"you (may|might) (also )?(like|be interested in)",
    r"most (read|popular|viewed|shared|watched)",
    r"(trending|popular)( now| today| stories)?",
    r"top stories",
    r"editor'?s picks?",
    r"don'?t miss",
    r"(watch|listen|video|podcast|live)",
)

#: Whole short blocks that are furniture whatever their links: placeholders, consent banners,
#: promos, share bars, legal lines.
BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"^(loading|please wait)\s*(\.{2,}|…)?$",
    r"^(advertisement|sponsored( content)?|promoted( content)?|ad)$",
    r"\bcookies?\b.*\b(accept|consent|agree|policy|preferences|settings)\b",
    r"\b(accept|consent|agree)\b.*\bcookies?\b",
    r"\b(sign up|subscribe|register)\b.*\bnewsletters?\b",
    r"\bnewsletters?\b.*\b(sign up|subscribe|inbox)\b",
    r"\bin your inbox\b",
    r"^(subscribe|sign up|sign in|log in|register)( now| here| today| for free)?\s*[.!]?$",
    r"^share( this( article| story| page)?| on [\w ]+)?\s*[:.]?\s*"
    r"((facebook|twitter|x|whatsapp|linkedin|email|e-mail|telegram|reddit|copy link|print)"
    r"[\s|·,/]*)*$",
    r"^((facebook|twitter|x|whatsapp|linkedin|email|e-mail|telegram|reddit|copy link|print)"
    r"[\s|·,/]*){2,}$",
    r"^(©|\(c\)|copyright\b)",
    r"\ball rights reserved\b",
    r"^follow us (on|at)\b",
    r"^(click|tap) here\b",
    r"^(image|photo|picture|video) (source|credit)s?\s*[:,]",
)

#: Blocks longer than this are prose, even when they mention cookies or a newsletter.
MAX_FURNITURE_CHARS = 300
#: A block whose text is mostly link text is a teaser or a link list, not article prose.
MAX_LINK_DENSITY = 0.5

_LABEL = re.compile(
    r"^\W*(" + "|".join(LINK_LABELS) + r")\s*([:|»›>–—-]|$)", re.IGNORECASE
)
_BOILERPLATE = tuple(re.compile(p, re.IGNORECASE) for p in BOILERPLATE_PATTERNS)


@dataclass(frozen=True, kw_only=True)
class Block:
    """One paragraph-like piece of extracted text.

    ``link_chars`` counts the characters of ``text`` that sit inside links. ``group`` ties the
    items of one list together, so a link list under a "Most read" heading goes as a whole.
    """

    text: str
    kind: str = "p"
    link_chars: int = 0
    group: int | None = None

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def is_furniture(block: Block) -> bool:
    """Whether ``block`` is page furniture rather than part of the article."""
    text = block.text.strip()
    if not text:
        return True
    if len(text) > MAX_FURNITURE_CHARS:
        return False
    if _LABEL.match(text):
        return True
    if any(pattern.search(text) for pattern in _BOILERPLATE):
        return True
    return block.link_density > MAX_LINK_DENSITY


def clean_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Return ``blocks`` without furniture.

    A list goes as a whole when most of its items are furniture (a "Most read" list), and so
    does the list that follows a furniture heading ("Related stories" then its links).
    """
    blocks = list(blocks)
    dropped_groups = _furniture_groups(blocks)
    kept: list[Block] = []
    drop_next_group = False
    for block in blocks:
        if block.group is not None and (drop_next_group or block.group in dropped_groups):
            dropped_groups.add(block.group)
            drop_next_group = False
            continue
        drop_next_group = False
        if is_furniture(block):
            drop_next_group = block.kind == "head" or _LABEL.match(block.text) is not None
            continue
        kept.append(block)
    return kept


def _furniture_groups(blocks: list[Block]) -> set[int]:
    counts: dict[int, list[int]] = {}
    for block in blocks:
        if block.group is not None:
            total_furniture = counts.setdefault(block.group, [0, 0])
            total_furniture[0] += 1
            total_furniture[1] += is_furniture(block)
    return {group for group, (total, furniture) in counts.items() if furniture * 2 > total}
