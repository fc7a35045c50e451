"""The real-page data set of ``extract_real``: where it lives, its halves, what it expects.

Mozilla Readability's test pages (kept outside the repository, Apache License 2.0): one folder
per page holding ``source.html`` (the page as saved), ``expected.html`` (the article body as
Readability extracts it) and ``expected-metadata.json`` (title, byline, publishedTime, and
``readerable``: false for pages that hold no article).

The folders are split once, by name, so no page changes halves when pages are added: a folder
is *held out* when the SHA-256 of its name (UTF-8), read as a number, is odd, and belongs to
the *tuning* half otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import lxml.html

__all__ = ["DATASET_ENV", "Half", "RealPage", "agrees_published", "agrees_text", "dataset_dir",
           "expected_text", "half_of", "pages"]

#: Environment variable naming the data set's folder, when it is not in the default place.
DATASET_ENV = "NEWSWATCH_BENCH_REAL_PAGES"
#: Where it is looked for otherwise: ``shared/datasets/`` beside the repository, or beside a
#: folder above it (a worktree kept in a subfolder of the main checkout's parent).
DEFAULT_PLACE = Path("shared") / "datasets" / "readability-test-pages"
REPOSITORY = Path(__file__).resolve().parent.parent

Half = Literal["tuning", "held_out"]
HALVES: tuple[Half, ...] = ("tuning", "held_out")


class DatasetMissing(FileNotFoundError):
    """The data set is not where it was looked for; the message says where and how to point."""


@dataclass(frozen=True, kw_only=True)
class RealPage:
    name: str
    folder: Path
    is_article: bool  # ``readerable`` in the expected metadata
    expected: dict[str, Any]

    @property
    def half(self) -> Half:
        return half_of(self.name)

    @property
    def source(self) -> Path:
        return self.folder / "source.html"

    def expected_body(self) -> str:
        return expected_text((self.folder / "expected.html").read_bytes())


def dataset_dir() -> Path:
    """The data set's folder: ``$NEWSWATCH_BENCH_REAL_PAGES``, else the nearest
    ``shared/datasets/readability-test-pages`` beside the repository or a folder above it.
    Raises :class:`DatasetMissing` when it holds no page."""
    configured = os.environ.get(DATASET_ENV)
    if configured:
        folder = Path(configured)
    else:
        places = [above / DEFAULT_PLACE for above in REPOSITORY.parents]
        folder = next((p for p in places if p.is_dir()), REPOSITORY.parent / DEFAULT_PLACE)
    if not any(folder.glob("*/expected-metadata.json")):
        raise DatasetMissing(
            f"no readability test pages in {folder}; set {DATASET_ENV} to the folder that "
            f"holds them (one folder per page, each with source.html)")
    return folder


def half_of(name: str) -> Half:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    return "held_out" if int(digest, 16) % 2 else "tuning"


def pages(folder: Path | None = None) -> Iterator[RealPage]:
    """Every page of the data set, in folder-name order."""
    folder = folder or dataset_dir()
    for metadata in sorted(folder.glob("*/expected-metadata.json")):
        expected = json.loads(metadata.read_text(encoding="utf-8"))
        yield RealPage(name=metadata.parent.name, folder=metadata.parent,
                       is_article=bool(expected.get("readerable", True)), expected=expected)


# Elements whose text stands apart from its neighbours': words on either side never join.
_BREAKING = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol",
    "p", "pre", "section", "table", "td", "th", "tr", "ul",
})


def expected_text(html: bytes) -> str:
    """The reference body's text, one line per block element (the files are UTF-8)."""
    tree = lxml.html.fromstring(html.decode("utf-8"))
    for element in tree.iter():
        if element.tag in _BREAKING:
            element.tail = "\n" + (element.tail or "")
    return tree.text_content()


def _normal(text: str) -> str:
    """Casefolded words, one space apart: punctuation, quotes and dashes are not compared."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


def agrees_text(found: str | None, expected: str) -> bool:
    """A title or byline agrees when, compared word for word, one holds the other: a headline
    without the site's name after it, a byline without "By", still agree."""
    mine, theirs = _normal(found or ""), _normal(expected)
    if not mine or not theirs:
        return False
    return mine == theirs or f" {mine} " in f" {theirs} " or f" {theirs} " in f" {mine} " \
        or (len(mine) >= 3 and mine in theirs)


# UTC offsets in use on Earth: a time written without a zone could be in any of them.
_EARLIEST_OFFSET, _LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def agrees_published(found: datetime | str | None, expected: str) -> bool:
    """Whether ``found`` is the publication time ``expected`` says.

    With a zone, the same instant (to the second). Without a zone, the same clock time in some
    zone the world uses (a whole quarter-hour offset); a bare date, that date in some zone.
    ``found`` may be a bare ``YYYY-MM-DD``, compared as a date.
    """
    if found is None:
        return False
    wanted = _parse(expected)
    if wanted is None:
        return False
    if isinstance(found, str):  # a date as the page wrote it: the expected's own date
        day = _parse(found)
        return day is not None and day.date() == wanted.date()
    found = found.astimezone(UTC)
    if wanted.tzinfo is not None:
        return abs(found - wanted) < timedelta(seconds=1)
    if _date_only(expected):
        return any((found + offset).date() == wanted.date()
                   for offset in (_EARLIEST_OFFSET, timedelta(0), _LATEST_OFFSET))
    shift = found.replace(tzinfo=None) - wanted  # the zone's offset, negated
    quarter = timedelta(minutes=15)
    return -_LATEST_OFFSET <= shift <= -_EARLIEST_OFFSET and shift % quarter < timedelta(seconds=1)


def _date_only(value: str) -> bool:
    return re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value) is not None


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None
