"""Scraped text made safe for a message: one line, no invisible tricks, escaped per format.

Everything a site sends us is untrusted. Before it goes into a message it is

1. cleaned (`runs`, `one_line`): line breaks, tabs and other whitespace become one space, so
   a headline cannot start a new header or a new line; control characters (terminal escapes
   included) and invisible format characters (zero-width spaces, bidi overrides) are dropped;
2. defused (`runs(..., defuse_mentions=True)`): a mention-like `@word` gets a zero-width space after
   the `@`, so `@here`, `@channel` or `@everyone` cannot ping in Slack, Discord or Mattermost;
3. escaped for the target format (`escape_slack`, `escape_html`, `escape_markdown`) by the
   renderer, which also adds the markup of its own (bold, links) around escaped pieces.

`escape_gfm` does 1 and 3 at once for the run report: Prefect's UI renders its artifacts, table
cells included, as GitHub-flavoured Markdown with raw HTML, images and bare-URL links.

Links never come from scraped text: `safe_url` checks the article URL is http(s) and
percent-encodes anything that could break out of a link in any format.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

# Characters kept although Unicode files them as "format": the zero-width joiner builds emoji.
_KEPT_FORMAT_CHARS = frozenset("\u200d")

# Inserted after a mention-like "@"; services then see "@​here", which pings nobody.
ZERO_WIDTH_SPACE = "\u200b"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&=])")

# GitHub-flavoured Markdown: inline markup and HTML anywhere in a line, the starts of bare-URL
# and e-mail links (http://, www., @), and block markers at the start of a line.
_GFM_INLINE = re.compile(r"[\\`*_~\[\]<>&|@]|:(?=//)|(?<=[Ww]{3})\.")
_GFM_BLOCK_START = re.compile(r"^(?:\d{1,9}(?=[.)])|(?=[#+=-]))")

# What may stay literal in a link target; everything else is percent-encoded. Notably
# absent: space, quotes, < > | \ ^ ` { }, which end or split a link in Slack, HTML or Markdown.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


Run = tuple[str, bool]
"""A piece of cleaned text and whether it is a matched (highlighted) word."""


def runs(
    text: str, marks: tuple[tuple[int, int], ...] = (), *, defuse_mentions: bool = False
) -> list[Run]:
    """Clean `text` and split it into runs, marking the spans in `marks`.

    `marks` are (start, end) offsets into the raw `text`; spans out of range or empty are
    ignored. Whitespace at the edges of a marked run is moved out of it, so renderers can
    wrap the run in `*...*` or `<b>...</b>` directly. With `defuse_mentions`, mention-like
    `@word` sequences are broken up (see the module docstring).
    """
    flags = [False] * len(text)
    for start, end in marks:
        for i in range(max(0, int(start)), min(len(text), int(end))):
            flags[i] = True
    chars: list[tuple[str, bool]] = []
    for ch, marked in zip(text, flags, strict=True):
        if ch.isspace():
            if chars and chars[-1][0] != " ":
                chars.append((" ", marked))
        elif _visible(ch):
            chars.append((ch, marked))
    while chars and chars[-1][0] == " ":
        chars.pop()
    if defuse_mentions:
        chars = _break_mentions(chars)
    return _group(chars)


def one_line(text: str, *, defuse_mentions: bool = False) -> str:
    """`text` cleaned to a single line (see `runs`), without marks."""
    return "".join(piece for piece, _ in runs(text, defuse_mentions=defuse_mentions))


def clip(pieces: list[Run], limit: int) -> list[Run]:
    """At most about `limit` characters of `pieces`, around the first marked run.

    Dropped text is shown as "…" at the cut ends, never removed silently.
    """
    total = sum(len(p) for p, _ in pieces)
    if total <= limit:
        return pieces
    first = 0
    for piece, marked in pieces:
        if marked:
            break
        first += len(piece)
    else:
        first = 0
    start = max(0, min(first - limit // 4, total - limit))
    end = start + limit
    out: list[Run] = [("… ", False)] if start > 0 else []
    offset = 0
    for piece, marked in pieces:
        lo, hi = max(start - offset, 0), min(end - offset, len(piece))
        if lo < hi:
            out.append((piece[lo:hi], marked))
        offset += len(piece)
    if end < total:
        out.append((" …", False))
    return out


def escape_slack(text: str) -> str:
    """Slack mrkdwn: only &, < and > are control characters (`<!channel>`, `<url|label>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_html(text: str) -> str:
    """HTML text or attribute value (quotes included)."""
    return html.escape(text, quote=True)


def escape_markdown(text: str) -> str:
    """CommonMark: backslash before every character that could start markup or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def escape_gfm(text: str) -> str:
    """`text` as one line of GitHub-flavoured Markdown that shows exactly that text.

    Safe in a paragraph, a list item, a heading or a table cell: it cleans `text` as `one_line`
    does (a line break would end a table row or start a block), and escapes what could make a
    link, an image, HTML, emphasis, a heading, a list, a quote or a new table column.
    """
    line = _GFM_INLINE.sub(lambda found: "\\" + found.group(), one_line(text))
    return _GFM_BLOCK_START.sub(lambda found: found.group() + "\\", line, count=1)


def safe_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) URL, percent-encoded to be link-safe; else None."""
    url = url.strip()
    if not all(_visible(ch) for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    encoded = urlunsplit(
        (parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment)
    )
    return quote(encoded, safe=_URL_SAFE)


def url_host(url: str) -> str:
    """The host part of an already `safe_url` URL, for a link label."""
    return urlsplit(url).hostname or url


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs", "Cn"):
        return False
    return category != "Cf" or ch in _KEPT_FORMAT_CHARS


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _break_mentions(chars: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for i, (ch, marked) in enumerate(chars):
        out.append((ch, marked))
        # A highlight boundary before the "@" becomes markup ("*x*@here"), which starts a word.
        after_word = i > 0 and _word(chars[i - 1][0]) and chars[i - 1][1] == marked
        if ch == "@" and not after_word and i + 1 < len(chars) and _word(chars[i + 1][0]):
            out.append((ZERO_WIDTH_SPACE, marked))
    return out


def _group(chars: list[tuple[str, bool]]) -> list[Run]:
    pieces: list[list] = []
    for i, (ch, marked) in enumerate(chars):
        if ch == " ":
            # A space stays inside a highlight only between two highlighted characters.
            marked = marked and chars[i - 1][1] and i + 1 < len(chars) and chars[i + 1][1]
        if pieces and pieces[-1][1] == marked:
            pieces[-1][0] += ch
        else:
            pieces.append([ch, marked])
    return [(text, marked) for text, marked in pieces]
