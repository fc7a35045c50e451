"""Which links on a section page lead to articles.

News URLs name their story: a slug of several words (``/world/putin-to-visit-china``) or a
numeric id (``/news/88412``). Listing pages do not: sections (``/world/``), tags, authors,
topics, pagination, search, account and legal pages. The rules below are data; a site spider
that knows better overrides :meth:`spiders.news.NewsSpider.is_article_url`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["LISTING_SEGMENTS", "looks_like_article_url", "same_site"]

#: Path segments that mark a page listing other pages, or no news at all.
LISTING_SEGMENTS: frozenset[str] = frozenset({
    "tag", "tags", "topic", "topics", "category", "categories", "section", "sections",
    "author", "authors", "profile", "people", "byline", "contributor", "contributors",
    "page", "search", "archive", "archives", "feed", "feeds", "rss", "newsletters", "newsletter",
    "login", "signin", "sign-in", "register", "account", "subscribe", "subscription",
    "about", "contact", "privacy", "cookies", "terms", "legal", "help", "careers", "jobs",
    "weather-forecast", "live-tv", "podcasts", "games", "crosswords", "horoscopes",
})

#: File extensions that are never an article page.
ASSET_EXTENSIONS: frozenset[str] = frozenset({
    "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "pdf", "zip", "mp3", "mp4", "webm",
    "css", "js", "json", "xml", "rss", "atom", "txt", "gz",
})

#: A slug of at least this many words names a story.
MIN_SLUG_WORDS = 3
#: A numeric id of at least this many digits names a story.
MIN_ID_DIGITS = 4

_WORD_SPLIT = re.compile(r"[-_+]")
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(p|page)?\d{1,3}$")


def looks_like_article_url(url: str) -> bool:
    """Whether ``url`` looks like one article rather than a listing, an asset or a service page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    segments = [s.lower() for s in parts.path.split("/") if s]
    if not segments or any(s in LISTING_SEGMENTS for s in segments):
        return False
    last = segments[-1]
    stem, dot, extension = last.rpartition(".")
    if dot and extension in ASSET_EXTENSIONS:
        return False
    if dot and extension in ("html", "htm", "shtml", "php", "aspx", "asp", "jsp", "ece", "cms"):
        last = stem
    if _PAGE_NUMBER.match(last) and len(segments) > 1 and not _has_story_id(segments[:-1]):
        return False
    words = [w for w in _WORD_SPLIT.split(last) if w]
    if len(words) >= MIN_SLUG_WORDS and any(not w.isdigit() for w in words):
        return True
    if _is_dated(segments[:-1]) and not last.isdigit():
        return True
    return _has_story_id(segments) and len(segments) > 1


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same host, ``www.`` or not."""
    return _host(url) != "" and _host(url) == _host(other)


def _has_story_id(segments: list[str]) -> bool:
    # Dates in paths are short numbers (2024, 11, 30); story ids are longer runs of digits.
    return any(len(run) >= MIN_ID_DIGITS and not _is_year(run)
               for segment in segments for run in _DIGITS.findall(segment))


def _is_dated(segments: list[str]) -> bool:
    """Whether the path holds a year then a month: ``/2024/11/`` or ``/2024/11/30/``."""
    return any(_is_year(a) and b.isdigit() and 1 <= int(b) <= 12
               for a, b in zip(segments, segments[1:], strict=False))


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and 1990 <= int(digits) <= 2099


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
