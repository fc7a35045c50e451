"""Reading a downloaded page as HTML text, and saying what was wrong with it.

Real pages lie about their charset (windows-1252 bytes labelled UTF-8, UTF-8 labelled
ISO-8859-1), leave it out, arrive cut short, or are not HTML at all. :func:`read_html` repairs
what it can and names each problem, so the crawl can count and report it and still extract the
article; :class:`NotHtml` is the one problem it cannot get past.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from scrapy.http import HtmlResponse, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

__all__ = ["NotHtml", "Page", "read_html"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TAIL_BYTES = 4096


class NotHtml(ValueError):
    """The response is not an HTML page (a PDF, an image, JSON, …); the message says what."""


@dataclass(frozen=True, kw_only=True)
class Page:
    """A page's HTML as text, with the problems met reading it (empty when there were none)."""

    html: str
    problems: tuple[str, ...] = ()


def read_html(response: Response) -> Page:
    """The HTML of ``response`` as text; raises :class:`NotHtml` for anything else."""
    content_type = _content_type(response)
    if not _is_html(response, content_type):
        raise NotHtml(f"not an HTML page ({content_type or 'no content type'})")
    body = response.body
    problems = []
    html, charset_problem = _decode(response, body)
    if charset_problem:
        problems.append(charset_problem)
    tail = body[-_TAIL_BYTES:].lower()
    if body.strip() and b"</html" not in tail and b"</body" not in tail:
        problems.append("truncated HTML (no </body> or </html> at the end); extracted what came")
    return Page(html=html, problems=tuple(problems))


def _content_type(response: Response) -> str:
    raw = response.headers.get("Content-Type") or b""
    return raw.decode("latin-1").split(";", 1)[0].strip().lower()


def _is_html(response: Response, content_type: str) -> bool:
    if isinstance(response, HtmlResponse) or content_type in _HTML_TYPES:
        return True
    if content_type and not content_type.startswith("text/"):
        return False
    # Missing or text/plain: HTML served with the wrong type is still HTML.
    start = response.body[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<body" in start


def _decode(response: Response, body: bytes) -> tuple[str, str | None]:
    """The page's text and the charset problem met on the way, if any."""
    header = http_content_type_encoding(
        (response.headers.get("Content-Type") or b"").decode("latin-1"))
    declared = header or html_body_declared_encoding(body[:4096])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        text = text.removeprefix("\ufeff")
        if declared and not body.isascii() and _name(declared) != "utf-8":
            return text, f"charset says {declared}, but the page is UTF-8; read as UTF-8"
        return text, None
    if declared and _name(declared) == "utf-8":
        return (body.decode("cp1252", errors="replace"),
                "charset says utf-8, but the page is not UTF-8; read as windows-1252")
    text = response.text if isinstance(response, TextResponse) else body.decode(
        "cp1252", errors="replace")
    if not declared:
        encoding = getattr(response, "encoding", None) or "windows-1252"
        return text, f"no charset declared; guessed {encoding}"
    return text, None


def _name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()
