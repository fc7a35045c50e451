"""One page at a time: what ``newswatch extract`` and ``newswatch spider check|new`` run on.

:func:`extract_source` reads a saved HTML file or fetches a URL and extracts its article with
the crawler's own code (charset repair, extraction, cleaning), in this process: a batch of
hundreds of files costs one interpreter. :func:`sniff` tells what a URL is: a feed, a sitemap,
an article or a section page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse, Response
from scrapy.responsetypes import responsetypes

from spiders.addresses import AddressPolicy
from spiders.extract import declared_url, extract_article
from spiders.fetch import Fetched, FetchError, fetch
from spiders.listings import Listing, ListingError, parse_listing
from spiders.pages import NotHtml, read_html
from store.items import Article

__all__ = ["Extracted", "Sniffed", "extract_source", "is_url", "response_for", "sniff"]


@dataclass(frozen=True, kw_only=True)
class Extracted:
    """The outcome for one input: its article, or why there is none."""

    source: str
    article: Article | None = None
    error: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Sniffed:
    """What a URL turned out to be, with what was read from it."""

    kind: Literal["feed", "sitemap", "article", "section"]
    fetched: Fetched
    listing: Listing | None = None
    article: Article | None = None


def is_url(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https")


def response_for(fetched: Fetched) -> Response:
    """A Scrapy response for a page fetched outside Scrapy, so the crawler's code reads it."""
    headers = {"Content-Type": fetched.content_type} if fetched.content_type else {}
    cls = responsetypes.from_args(headers=headers, url=fetched.url, body=fetched.body)
    return cls(fetched.url, body=fetched.body, headers=headers)


def extract_source(source: str, *, contact: str | None = None, site: str | None = None,
                   min_chars: int | None = None, allow_private: bool = False) -> Extracted:
    """The article of ``source``: an http(s) URL to fetch, or the path of a saved HTML file.

    A saved page's URL is the one it declares (canonical link or ``og:url``), else its
    ``file://`` URI. A URL is fetched as the crawler would: its own host whatever its address,
    any other host only on a public address unless ``allow_private``.
    """
    try:
        if is_url(source):
            policy = AddressPolicy.for_urls([source], allow_private=allow_private)
            response = response_for(fetch(source, contact=contact, policy=policy))
        else:
            path = Path(source)
            body = path.read_bytes()
            url = declared_url(body) or path.resolve().as_uri()
            response = HtmlResponse(url, body=body)
        page = read_html(response)
    except (FetchError, NotHtml, OSError) as exc:
        return Extracted(source=source, error=str(exc))
    options = {} if min_chars is None else {"min_chars": min_chars}
    article = extract_article(page.html, response.url, site or _site(response.url), **options)
    if article is None:
        return Extracted(source=source, problems=page.problems,
                         error="no article found (no headline, or too little body text)")
    return Extracted(source=source, article=article, problems=page.problems)


def sniff(url: str, *, contact: str | None = None,
          policy: AddressPolicy | None = None) -> Sniffed:
    """Fetch ``url`` and tell what it is; raises FetchError when it cannot be fetched.
    ``policy``: the addresses it may reach (see :func:`spiders.fetch.fetch`)."""
    fetched = fetch(url, contact=contact, policy=policy)
    try:
        listing = parse_listing(fetched.body, fetched.url)
    except ListingError:
        listing = None
    if listing is not None:
        kind = "feed" if listing.kind == "feed" else "sitemap"
        return Sniffed(kind=kind, fetched=fetched, listing=listing)
    response = response_for(fetched)
    try:
        page = read_html(response)
    except NotHtml as exc:
        raise FetchError(f"{url}: {exc}") from None
    article = extract_article(page.html, response.url, _site(response.url))
    if article is not None:
        return Sniffed(kind="article", fetched=fetched, article=article)
    return Sniffed(kind="section", fetched=fetched)


def _site(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or "file"
