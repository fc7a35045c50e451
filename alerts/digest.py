"""A watch's new stories as ready-to-send messages, in the markup each channel speaks.

`render(digest, style)` turns a `Digest` into one or more `Message`s:

- "slack": Slack mrkdwn (`<url|headline>`, `*bold*`, quotes), sent to Slack as is;
- "email": an HTML body, with its own plain-text part in `Message.text`;
- "markdown": CommonMark, for chat services that render it (Discord, Telegram, Matrix, ...);
- "json": plain text, plus the digest as data in `Message.data`, for `json://` webhooks;
- "text": plain text, for other webhooks (`form://`, ...), the console and the rest.

Each message has a header (the watch's query; in email, its name and the count too), the
stories newest first, and, in the last part, a footer with the command that tries the query
and where the watch is in the config. How each style writes them is in its own module
(`alerts.digest_slack`, `digest_email`, `digest_markdown`, `digest_text`, `digest_json`), from
the cleaned stories of `alerts.digest_content`; scraped fields are escaped for the style (see
`alerts.safetext`), and a link comes only from an http(s) article URL.
A digest longer than the style's limit is split into numbered parts, never cut short.
"""

from __future__ import annotations

from datetime import tzinfo
from urllib.parse import urlsplit

from alerts import digest_json
from alerts.digest_content import Entry, Format, Heading, aware
from alerts.digest_email import EMAIL
from alerts.digest_items import Copy, Digest, DigestItem, Message, WatchInfo
from alerts.digest_markdown import MARKDOWN
from alerts.digest_slack import SLACK
from alerts.digest_text import EMAIL_TEXT, TEXT
from alerts.safetext import one_line

__all__ = [
    "DEFAULT_MAX_CHARS", "STYLES", "Copy", "Digest", "DigestItem", "Message", "WatchInfo",
    "render", "style_for",
]

STYLES = ("slack", "email", "markdown", "json", "text")

# Longest body per message, in characters. Slack refuses a message section over 3000.
DEFAULT_MAX_CHARS = {"slack": 2900, "email": 100_000, "markdown": 3500, "json": 20_000,
                     "text": 3500}
MIN_MAX_CHARS = 300
# An HTML email's frame (head, styles, header, footer) alone takes over a thousand.
_MIN_CHARS = {"email": 3000}

# How much of a very long snippet or headline is kept when one story alone would not fit
# in a message; each step is tried in turn, and cut text is shown as "…".
_SNIPPET_STEPS = (None, 400, 150, 0)
_MAX_WATCH_IN_TITLE = 100
# Header and footer give way (to the name and count) when they would take more than this
# share of a message: the stories come first.
_MAX_FRAME_SHARE = 3

_SLACK_SCHEMES = frozenset({"slack", "slacks"})
_EMAIL_SCHEMES = frozenset(
    {"mailto", "mailtos", "ses", "sendgrid", "mailgun", "sparkpost", "smtp2go", "resend"}
)
_MARKDOWN_SCHEMES = frozenset(
    {"discord", "tgram", "matrix", "matrixs", "mmost", "mmosts", "rocket", "rockets", "zulip",
     "gchat", "guilded"}
)
_JSON_SCHEMES = frozenset({"json", "jsons"})
# Services Apprise also accepts by their own https:// webhook address.
_WEBHOOK_HOSTS = {"hooks.slack.com": "slack", "discord.com": "markdown",
                  "discordapp.com": "markdown"}

# style: how it is written; "json" is plain text with the data beside it.
_FORMATS: dict[str, Format] = {
    "slack": SLACK, "email": EMAIL, "markdown": MARKDOWN, "json": TEXT, "text": TEXT,
}


def style_for(url: str) -> str:
    """The style an Apprise channel URL gets: one of `STYLES`."""
    scheme, _, _ = url.partition("://")
    scheme = scheme.strip().lower()
    if scheme in _SLACK_SCHEMES:
        return "slack"
    if scheme in _EMAIL_SCHEMES:
        return "email"
    if scheme in _MARKDOWN_SCHEMES:
        return "markdown"
    if scheme in _JSON_SCHEMES:
        return "json"
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
    least = _MIN_CHARS.get(style, MIN_MAX_CHARS)
    if limit < least:
        raise ValueError(f"max_chars must be at least {least} for {style} (got {max_chars!r})")
    items = digest.items
    if not items:
        return []
    form = _FORMATS[style]
    order = sorted(range(len(items)), key=lambda i: _newest_first(items[i]))
    watch, budget, separator = _frame(form, digest.watch, len(order), limit)
    blocks = {i: _fit(form, items[i], tz, budget) for i in order}
    parts = _pack(order, blocks, budget, separator, form.max_stories)
    title = _title(watch.name, len(order))
    messages = []
    for number, part in enumerate(parts, start=1):
        later = sum(len(p) for p in parts[number:])
        heading = Heading.of(watch, len(order), number, len(parts), later)
        messages.append(Message(
            title=f"{title} ({number}/{len(parts)})" if len(parts) > 1 else title,
            body=form.body(heading, [blocks[i] for i in part]),
            body_format=form.body_format,
            items=tuple(part),
            text=_email_text(heading, [items[i] for i in part], tz) if style == "email" else "",
            data=digest_json.data(heading, [items[i] for i in part], tz)
            if style == "json" else None,
        ))
    return messages


def _frame(form: Format, watch: WatchInfo, count: int, limit: int) -> tuple[WatchInfo, int, int]:
    """The watch as headers and footers show it, the room left for stories, and what goes
    between two stories.

    The room is reckoned with the longest header and footer any part could have (the most
    digits, the "and N more" line, the footer).
    """
    for shown in (watch, WatchInfo(name=watch.name)):
        longest = (Heading.of(shown, count, count, count, count),
                   Heading.of(shown, count, count, count, 0))
        frame = max(len(form.body(heading, ["x"])) - 1 for heading in longest)
        if frame <= limit // _MAX_FRAME_SHARE:
            break
    separator = len(form.body(longest[0], ["x", "x"])) - len(form.body(longest[0], ["x"])) - 1
    return shown, limit - frame, separator


def _email_text(heading: Heading, items: list[DigestItem], tz: tzinfo | None) -> str:
    entries = [EMAIL_TEXT.story(Entry.of(item, tz, None)) for item in items]
    return EMAIL_TEXT.body(heading, entries)


def _title(watch: str, count: int) -> str:
    # Slack refuses headers over 150 characters; no watch name needs more than this.
    name = one_line(watch)
    if len(name) > _MAX_WATCH_IN_TITLE:
        name = name[: _MAX_WATCH_IN_TITLE - 1] + "…"
    noun = "story" if count == 1 else "stories"
    return f"{name}: {count} new {noun}"


def _newest_first(item: DigestItem) -> tuple[bool, float]:
    when = aware(item.published)
    return (when is None, -when.timestamp() if when else 0.0)


def _fit(form: Format, item: DigestItem, tz: tzinfo | None, budget: int) -> str:
    block = ""
    for snippet_limit in _SNIPPET_STEPS:
        block = form.story(Entry.of(item, tz, snippet_limit))
        if len(block) <= budget:
            break
    return block


def _pack(
    order: list[int], blocks: dict[int, str], budget: int, separator: int,
    max_stories: int | None,
) -> list[list[int]]:
    """The items in `order`, grouped into parts whose blocks fit in `budget` together, at most
    `max_stories` in a part."""
    parts: list[list[int]] = []
    size = 0
    for i in order:
        block = blocks[i]
        room = bool(parts) and (max_stories is None or len(parts[-1]) < max_stories)
        if room and size + separator + len(block) <= budget:
            parts[-1].append(i)
            size += separator + len(block)
        else:
            parts.append([i])
            size = len(block)
    return parts
