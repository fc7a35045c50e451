"""A digest as data, for webhooks: every field of every story, so a program reads, not parses.

`data(...)` is one message's part of a digest as JSON-ready values; `json://` channels send it
as the `digest` key of Apprise's payload, beside `title` and the plain-text `message`:

    {"watch": {"name": "putin-visit", "query": "Putin visit", "config_key": "watches[0]",
               "config_file": "newswatch.yaml"},
     "count": 3, "part": 1, "parts": 1,
     "try_command": "newswatch watch test \\"Putin visit\\" --since 7d",
     "stories": [{"headline": "...", "url": "https://...", "site": "Le Monde",
                  "published": "2024-05-01T14:03:00+02:00", "snippet": "...",
                  "marks": [[10, 15]], "also_on": [{"site": "BBC", "url": "https://..."}]}]}

Text is cleaned as for every format (one line, no control or invisible characters, mentions
defused) but not escaped: the receiver escapes for wherever it shows it. `marks` are
[start, end) offsets into `snippet`; a `url` that is not http(s) is null; `published` is
ISO 8601 in the watch's zone, or null. Stories are newest first, as in the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from alerts.digest_content import Heading, aware, in_zone
from alerts.safetext import one_line, runs, safe_url

if TYPE_CHECKING:
    from alerts.digest_items import DigestItem


def data(heading: Heading, items: Sequence[DigestItem], tz: tzinfo | None) -> dict[str, Any]:
    """One part of a digest: the watch, the counts, and the part's stories in order."""
    return {
        "watch": {
            "name": heading.watch,
            "query": heading.query,
            "config_key": heading.config_key or None,
            "config_file": heading.config_file or None,
        },
        "count": heading.count,
        "part": heading.part,
        "parts": heading.parts,
        "try_command": heading.try_command or None,
        "stories": [_story(item, tz) for item in items],
    }


def _story(item: DigestItem, tz: tzinfo | None) -> dict[str, Any]:
    snippet, marks, offset = "", [], 0
    for piece, is_marked in runs(item.snippet, item.marks, defuse_mentions=True):
        if is_marked:
            marks.append([offset, offset + len(piece)])
        snippet += piece
        offset += len(piece)
    when = aware(item.published)
    return {
        "headline": one_line(item.headline, defuse_mentions=True),
        "url": safe_url(item.url),
        "site": one_line(item.site, defuse_mentions=True),
        "published": in_zone(when, tz).isoformat() if when is not None else None,
        "snippet": snippet,
        "marks": marks,
        "also_on": [
            {"site": one_line(copy.site, defuse_mentions=True), "url": safe_url(copy.url)}
            for copy in item.also_on
        ],
    }
