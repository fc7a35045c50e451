"""The values a digest is made of: the watch, its new stories and the messages they become.

They sit below `alerts.digest` and the modules that write each style, which all take them
from here; every text field of a story is as scraped (untrusted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Copy", "Digest", "DigestItem", "Message", "WatchInfo"]


@dataclass(frozen=True, kw_only=True)
class WatchInfo:
    """The watch a digest is for: its name, its query, and where the config sets it.

    `index` is its position in the config's `watches` list and `config` the config file;
    a digest's footer tells the reader to edit `watches[index]` there.
    """

    name: str
    query: str = ""
    index: int | None = None
    config: str = ""


@dataclass(frozen=True)
class Copy:
    """Another site's copy of a story (as scraped: untrusted)."""

    site: str
    url: str = ""


@dataclass(frozen=True, kw_only=True)
class DigestItem:
    """One new story; every text field is as scraped (untrusted).

    `marks` are (start, end) character offsets into `snippet` of the matched words;
    `also_on` the story's copies on other sites.
    """

    headline: str
    site: str
    url: str
    published: datetime | None
    snippet: str
    marks: tuple[tuple[int, int], ...] = ()
    also_on: tuple[Copy, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Digest:
    """The new stories of one watch, for one channel."""

    watch: WatchInfo
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Message:
    """What is handed to Apprise: `body_format` is "text", "markdown" or "html".

    `items` are the positions in `Digest.items` of the stories this message carries, so a
    sender knows which stories went out when only some parts of a digest did. `text` is an
    email's plain-text part ("" elsewhere); `data` a webhook's digest as JSON-ready values.
    """

    title: str
    body: str
    body_format: str
    items: tuple[int, ...] = ()
    text: str = ""
    data: dict[str, Any] | None = field(default=None, repr=False)
