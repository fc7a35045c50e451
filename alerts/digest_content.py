"""What a digest says, cleaned and format-free: each story as an `Entry`, each part's `Heading`.

The format modules (`alerts.digest_slack`, `digest_email`, `digest_markdown`, `digest_text`)
turn these into markup; they escape every piece for their format, and add links only from
`Entry.url` and the copies' URLs, which `safe_url` has checked. A `Format` is what each of
them offers `alerts.digest.render`.

Story times are shown in the watch's zone; every conversion goes through `in_zone`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from alerts.safetext import Run, clip, one_line, runs, safe_url, url_host

if TYPE_CHECKING:
    from alerts.digest_items import DigestItem, WatchInfo

# Copies linked under a story; more are counted ("and 4 more sites"), not listed.
MAX_COPIES_SHOWN = 5
_SHORT_HEADLINE = 150
_LONGEST_NAME = 100  # of a watch, in headers
_NO_HEADLINE = "(no headline)"
# How far back `newswatch watch test` looks in the footer's command.
TRY_SINCE = "7d"
# Characters a double-quoted shell word keeps literally: anything but these.
_SHELL_SPECIAL = frozenset('"\\$`!')


def aware(when: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC (that is how the store keeps them)."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=UTC)


def in_zone(when: datetime, tz: tzinfo | None) -> datetime:
    """`when` (aware) in `tz`, this machine's zone when None: the one place times convert.

    In UTC when `tz` cannot hold it (year 9999 east of UTC, year 1 west), else as it is:
    any stored time renders."""
    for zone in (tz, UTC):
        try:
            return when.astimezone(zone)
        except (OverflowError, ValueError):
            continue
    return when


def local_time(when: datetime | None, tz: tzinfo | None) -> str:
    """`when` as a reader sees it: "2024-05-01 14:03 CEST"; "" when unknown."""
    when = aware(when)
    if when is None:
        return ""
    local = in_zone(when, tz)
    stamp = local.isoformat(sep=" ", timespec="minutes")[:16]  # strftime drops year 1's 0s
    return f"{stamp} " + (local.strftime("%Z") or "UTC")


@dataclass(frozen=True)
class Copy:
    """Another site's copy of a story, cleaned: `url` is None when it cannot be a link."""

    site: str
    url: str | None


@dataclass(frozen=True)
class Entry:
    """One story, cleaned: text pieces are one line each and free of invisible characters."""

    headline: list[Run]
    site: str
    time: str
    url: str | None
    snippet: list[Run]
    copies: list[Copy]
    more_copies: int  # copies not listed

    @classmethod
    def of(cls, item: DigestItem, tz: tzinfo | None, snippet_limit: int | None) -> Entry:
        """`item` cleaned; `snippet_limit` shortens the snippet (0: none, and a short headline)."""
        headline = runs(item.headline, defuse_mentions=True)
        snippet = runs(item.snippet, item.marks, defuse_mentions=True)
        if snippet_limit is not None:
            snippet = clip(snippet, snippet_limit)
            if snippet_limit == 0:
                snippet = []
                headline = clip(headline, _SHORT_HEADLINE)
        copies = [copy for copy in map(_copy, item.also_on) if copy.site]
        url = safe_url(item.url)
        if not headline:  # a link needs words to click: the site's address, at least
            headline = [(url_host(url) if url else _NO_HEADLINE, False)]
        return cls(
            headline=headline,
            site=one_line(item.site, defuse_mentions=True),
            time=local_time(item.published, tz),
            url=url,
            snippet=snippet,
            copies=copies[:MAX_COPIES_SHOWN],
            more_copies=max(len(copies) - MAX_COPIES_SHOWN, 0),
        )

    @property
    def meta(self) -> str:
        """The site and the time: "Le Monde · 2024-05-01 14:03 CEST"."""
        return " · ".join(part for part in (self.site, self.time) if part)


def _copy(copy: object) -> Copy:
    site = one_line(getattr(copy, "site", ""), defuse_mentions=True)
    return Copy(site=site, url=safe_url(getattr(copy, "url", "")))


@dataclass(frozen=True)
class Heading:
    """What a part's header and footer say; `remaining` stories follow in later parts."""

    watch: str
    query: str
    count: int
    part: int
    parts: int
    remaining: int
    config_key: str  # "watches[0]", or "" when not known
    config_file: str

    @classmethod
    def of(cls, watch: WatchInfo, count: int, part: int, parts: int, remaining: int) -> Heading:
        index = watch.index
        name = one_line(watch.name)
        return cls(
            watch=name if len(name) <= _LONGEST_NAME else name[:_LONGEST_NAME - 1] + "…",
            query=one_line(watch.query),
            count=count,
            part=part,
            parts=parts,
            remaining=remaining,
            config_key=f"watches[{index}]" if index is not None and index >= 0 else "",
            config_file=one_line(watch.config),
        )

    @property
    def stories(self) -> str:
        """ "3 new stories", "1 new story". """
        return f"{self.count} new {'story' if self.count == 1 else 'stories'}"

    @property
    def part_label(self) -> str:
        """ "part 2 of 3", or "" for a digest in one message. """
        return f"part {self.part} of {self.parts}" if self.parts > 1 else ""

    @property
    def more(self) -> str:
        """ "… and 7 more stories in the next message", or "" in the last part. """
        if not self.remaining:
            return ""
        noun = "story" if self.remaining == 1 else "stories"
        later = self.parts - self.part
        where = "the next message" if later == 1 else f"the next {later} messages"
        return f"… and {self.remaining} more {noun} in {where}"

    @property
    def last(self) -> bool:
        return self.part == self.parts

    @property
    def try_command(self) -> str:
        """The command that tries the query on stored articles, or "" without a query."""
        if not self.query:
            return ""
        return f"newswatch watch test {shell_quote(self.query)} --since {TRY_SINCE}"

    @property
    def where(self) -> str:
        """Where the watch is configured: "watches[0] in newswatch.yaml", or ""."""
        if not self.config_key:
            return ""
        return f"{self.config_key} in {self.config_file}" if self.config_file else self.config_key


def shell_quote(text: str) -> str:
    """`text` as one shell word: in double quotes, or single quotes when it holds specials."""
    if not any(ch in _SHELL_SPECIAL for ch in text):
        return f'"{text}"'
    return "'" + text.replace("'", "'\"'\"'") + "'"


@dataclass(frozen=True)
class Format:
    """How one style writes a digest; `body_format` is what Apprise is told it is.

    `body(heading, stories)` assembles a message from the part's rendered `story` blocks;
    a part holds at most `max_stories` stories.
    """

    body_format: str
    story: Callable[[Entry], str]
    body: Callable[[Heading, list[str]], str]
    max_stories: int | None = None


def plain(pieces: list[Run]) -> str:
    """The text of `pieces`, marks dropped."""
    return "".join(piece for piece, _ in pieces)


def marked(pieces: list[Run], escape: Callable[[str], str], start: str, end: str) -> str:
    """The text of `pieces` escaped, each marked run between `start` and `end`."""
    return "".join(f"{start}{escape(p)}{end}" if is_marked else escape(p)
                   for p, is_marked in pieces)


def more_copies(entry: Entry) -> str:
    """ " and 4 more sites" after the listed copies, or "". """
    count = entry.more_copies
    return f" and {count} more {'site' if count == 1 else 'sites'}" if count else ""
