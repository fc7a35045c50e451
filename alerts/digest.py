"""A watch's new stories as ready-to-send messages, in the markup each channel speaks.

`render(digest, style)` turns a `Digest` into one or more `Message`s:

- "slack": Slack mrkdwn (`*bold*`, `<url|label>`), sent to Slack as is;
- "email": an HTML body (mail clients also get a plain-text part, derived by Apprise);
- "markdown": CommonMark, for chat services that render it (Discord, Telegram, Matrix, ...);
- "text": plain text, for webhooks (`json://`, `form://`, ...), the console and the rest.

Scraped fields are cleaned and escaped for the style (see `alerts.safetext`); markup and
links come only from this module, and a link only from an article URL that is http(s).
A digest longer than the style's limit is split into numbered parts, never cut short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit

from alerts.safetext import (
    Run,
    clip,
    escape_html,
    escape_markdown,
    escape_slack,
    one_line,
    runs,
    safe_url,
    url_host,
)

STYLES = ("slack", "email", "markdown", "text")

# Longest body per message, in characters. Slack refuses a message section over 3000.
DEFAULT_MAX_CHARS = {"slack": 2900, "email": 100_000, "markdown": 3500, "text": 3500}
MIN_MAX_CHARS = 300

# How much of a very long snippet or headline is kept when one story alone would not fit
# in a message; each step is tried in turn, and cut text is shown as "…".
_SNIPPET_STEPS = (None, 400, 150, 0)
_SHORT_HEADLINE = 150
_MAX_WATCH_IN_TITLE = 100

_SLACK_SCHEMES = frozenset({"slack", "slacks"})
_EMAIL_SCHEMES = frozenset(
    {"mailto", "mailtos", "ses", "sendgrid", "mailgun", "sparkpost", "smtp2go", "resend"}
)
_MARKDOWN_SCHEMES = frozenset(
    {"discord", "tgram", "matrix", "matrixs", "mmost", "mmosts", "rocket", "rockets", "zulip",
     "gchat", "guilded"}
)
# Services Apprise also accepts by their own https:// webhook address.
_WEBHOOK_HOSTS = {"hooks.slack.com": "slack", "discord.com": "markdown",
                  "discordapp.com": "markdown"}


@dataclass(frozen=True, kw_only=True)
class DigestItem:
    """One new story; every text field is as scraped (untrusted).

    `marks` are (start, end) character offsets into `snippet` of the matched words.
    """

    headline: str
    site: str
    url: str
    published: datetime | None
    snippet: str
    marks: tuple[tuple[int, int], ...] = ()
    also_on: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Digest:
    """The new stories of one watch, for one channel."""

    watch: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Message:
    """What is handed to Apprise: `body_format` is "text", "markdown" or "html".

    `items` are the positions in `Digest.items` of the stories this message carries, so a
    sender knows which stories went out when only some parts of a digest did.
    """

    title: str
    body: str
    body_format: str
    items: tuple[int, ...] = ()


def style_for(url: str) -> str:
    """The style an Apprise channel URL gets: "slack", "email", "markdown" or "text"."""
    scheme, _, _ = url.partition("://")
    scheme = scheme.strip().lower()
    if scheme in _SLACK_SCHEMES:
        return "slack"
    if scheme in _EMAIL_SCHEMES:
        return "email"
    if scheme in _MARKDOWN_SCHEMES:
        return "markdown"
    if scheme in ("http", "https"):
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            host = ""
        return _WEBHOOK_HOSTS.get(host.removeprefix("www."), "text")
    return "text"


def render(
    digest: Digest, style: str, *, tz: tzinfo | None = None, max_chars: int | None = None
) -> list[Message]:
    """`digest` as messages in `style`, newest story first, split into "(i/n)" parts.

    `tz` is the time zone for story times (default: this machine's); `max_chars` the longest
    body (default: `DEFAULT_MAX_CHARS[style]`). An empty digest gives no message.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)} (got {style!r})")
    limit = DEFAULT_MAX_CHARS[style] if max_chars is None else max_chars
    if limit < MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS} (got {max_chars!r})")
    story, separator, wrap, body_format = _FORMATS[style]
    budget = limit - len(wrap(""))
    order = sorted(range(len(digest.items)), key=lambda i: _newest_first(digest.items[i]))
    blocks = {i: _fit(story, digest.items[i], tz, budget) for i in order}
    parts = _pack(order, blocks, budget, len(separator))
    title = _title(digest.watch, len(order))
    return [
        Message(
            title=f"{title} ({number}/{len(parts)})" if len(parts) > 1 else title,
            body=wrap(separator.join(blocks[i] for i in part)),
            body_format=body_format,
            items=tuple(part),
        )
        for number, part in enumerate(parts, start=1)
    ]


def _title(watch: str, count: int) -> str:
    # Slack refuses headers over 150 characters; no watch name needs more than this.
    name = one_line(watch)
    if len(name) > _MAX_WATCH_IN_TITLE:
        name = name[: _MAX_WATCH_IN_TITLE - 1] + "…"
    noun = "story" if count == 1 else "stories"
    return f"{name}: {count} new {noun}"


def _newest_first(item: DigestItem) -> tuple[bool, float]:
    when = _aware(item.published)
    return (when is None, -when.timestamp() if when else 0.0)


def _aware(when: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC (that is how the store keeps them)."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=UTC)


def _in_zone(when: datetime, tz: tzinfo | None) -> datetime:
    """`when` in `tz`; in UTC when `tz` cannot hold it (year 9999 east of UTC, year 1 west),
    else as it is: any stored time renders."""
    for zone in (tz, UTC):
        try:
            return when.astimezone(zone)
        except (OverflowError, ValueError):
            continue
    return when


def _fit(story: _StoryFn, item: DigestItem, tz: tzinfo | None, budget: int) -> str:
    block = ""
    for snippet_limit in _SNIPPET_STEPS:
        block = story(_Story.of(item, tz, snippet_limit))
        if len(block) <= budget:
            break
    return block


def _pack(
    order: list[int], blocks: dict[int, str], budget: int, separator: int
) -> list[list[int]]:
    """The items in `order`, grouped into parts whose blocks fit in `budget` together."""
    parts: list[list[int]] = []
    size = 0
    for i in order:
        block = blocks[i]
        if parts and size + separator + len(block) <= budget:
            parts[-1].append(i)
            size += separator + len(block)
        else:
            parts.append([i])
            size = len(block)
    return parts


@dataclass(frozen=True)
class _Story:
    """One item, cleaned: text pieces are one line each and free of invisible characters."""

    headline: list[Run]
    meta: str
    url: str | None
    snippet: list[Run]

    @classmethod
    def of(cls, item: DigestItem, tz: tzinfo | None, snippet_limit: int | None) -> _Story:
        headline = runs(item.headline, defuse_mentions=True)
        snippet = runs(item.snippet, item.marks, defuse_mentions=True)
        if snippet_limit is not None:
            snippet = clip(snippet, snippet_limit)
            if snippet_limit == 0:
                snippet = []
                headline = clip(headline, _SHORT_HEADLINE)
        meta = [one_line(item.site, defuse_mentions=True)]
        also_on = [one_line(site, defuse_mentions=True) for site in item.also_on]
        if any(also_on):
            meta.append("also on: " + ", ".join(site for site in also_on if site))
        when = _aware(item.published)
        if when is not None:
            local = _in_zone(when, tz)
            stamp = local.isoformat(sep=" ", timespec="minutes")[:16]  # strftime drops year 1's 0s
            meta.append(f"{stamp} " + (local.strftime("%Z") or "UTC"))
        return cls(
            headline=headline,
            meta=" · ".join(part for part in meta if part),
            url=safe_url(item.url),
            snippet=snippet,
        )


_StoryFn = Callable[[_Story], str]


def _marked(pieces: list[Run], escape: Callable[[str], str], start: str, end: str) -> str:
    return "".join(f"{start}{escape(p)}{end}" if marked else escape(p) for p, marked in pieces)


def _plain(pieces: list[Run]) -> str:
    return "".join(piece for piece, _ in pieces)


def _slack_story(story: _Story) -> str:
    lines = [f"*{escape_slack(_plain(story.headline))}*", escape_slack(story.meta)]
    if story.url:
        lines.append(f"<{escape_slack(story.url)}|Read on {escape_slack(url_host(story.url))}>")
    if story.snippet:
        lines.append(_marked(story.snippet, escape_slack, "*", "*"))
    return "\n".join(lines)


def _markdown_story(story: _Story) -> str:
    lines = [f"**{escape_markdown(_plain(story.headline))}**", escape_markdown(story.meta)]
    if story.url:
        label = escape_markdown(f"Read on {url_host(story.url)}")
        lines.append(f"[{label}](<{story.url}>)")
    if story.snippet:
        lines.append(_marked(story.snippet, escape_markdown, "**", "**"))
    return "\n".join(lines)


def _text_story(story: _Story) -> str:
    lines = [_plain(story.headline), story.meta]
    if story.url:
        lines.append(story.url)
    if story.snippet:
        lines.append(_marked(story.snippet, str, "*", "*"))
    return "\n".join(lines)


def _email_story(story: _Story) -> str:
    # The link text is the URL itself: the plain-text part of the mail keeps only link
    # texts, and a reader should see where a link goes anyway.
    lines = [
        f'<div style="font-size:16px"><b>{escape_html(_plain(story.headline))}</b></div>',
        f'<div style="color:#555555;font-size:13px">{escape_html(story.meta)}</div>',
    ]
    if story.url:
        href = escape_html(story.url)
        lines.append(f'<div><a href="{href}">{href}</a></div>')
    if story.snippet:
        snippet = _marked(story.snippet, escape_html, "<mark><b>", "</b></mark>")
        lines.append(f"<div>{snippet}</div>")
    return '<div style="margin:0 0 16px 0">\n' + "\n".join(lines) + "\n</div>"


def _email_wrap(body: str) -> str:
    return f'<div style="font-family:sans-serif">\n{body}\n</div>'


def _as_is(body: str) -> str:
    return body


# style: (story renderer, separator between stories, body wrapper, Apprise body format)
_FORMATS: dict[str, tuple[_StoryFn, str, Callable[[str], str], str]] = {
    "slack": (_slack_story, "\n\n", _as_is, "markdown"),
    "email": (_email_story, "\n", _email_wrap, "html"),
    "markdown": (_markdown_story, "\n\n", _as_is, "markdown"),
    "text": (_text_story, "\n\n", _as_is, "text"),
}
