"""Feeds and sitemaps: the lists of article URLs a site publishes.

One reader handles RSS 2.0, RSS 1.0 (RDF), Atom, sitemaps, sitemap indexes, Google News
sitemaps and plain-text sitemaps, whatever the URL was configured as, because sites serve feeds
with the wrong content type, behind a byte-order mark, or gzipped under a ``.xml.gz`` name.

The XML parser never expands entities and never touches the network, so a hostile feed cannot
read local files or blow up memory; it recovers from the small errors real feeds are full of.
A document whose entities would expand past libxml2's limit (a "billion laughs") is refused.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

from spiders.dates import parse_date

__all__ = ["Entry", "Listing", "ListingError", "parse_listing"]

_UTF8_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"


class ListingError(ValueError):
    """The body is no feed or sitemap, or one refused as hostile; the message says which."""


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One URL from a listing, with what the listing says about it."""

    url: str
    title: str | None = None
    published: datetime | None = None
    modified: datetime | None = None

    @property
    def when(self) -> datetime | None:
        """The entry's date: publication, else last modification."""
        return self.published or self.modified


@dataclass(frozen=True, kw_only=True)
class Listing:
    """A parsed listing. ``sitemapindex`` entries are further listings, the others articles."""

    kind: Literal["feed", "sitemap", "sitemapindex"]
    entries: tuple[Entry, ...] = ()


def parse_listing(body: bytes, base_url: str, *, max_size: int = 0) -> Listing:
    """Read the feed or sitemap in ``body``, fetched from ``base_url``.

    ``max_size`` bounds the size of a gzipped body once decompressed (0: no bound).
    Raises ListingError when the body is no listing.
    """
    body = _gunzip(body, max_size) if body[:2] == _GZIP_MAGIC else body
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM):]
    stripped = body.lstrip(b" \t\r\n")
    if not stripped:
        raise ListingError("not a feed or sitemap: the response is empty")
    if _is_html(stripped):
        raise ListingError(f"not a feed or sitemap: an HTML page{_html_title(stripped)}")
    if stripped[:1] != b"<":
        return _plain_text_sitemap(stripped, base_url)
    root = _parse_xml(stripped)
    if root is None:
        raise ListingError(f"not a feed or sitemap: the body starts with {_start(stripped)}")
    name = _local_name(str(root.tag)).lower()
    if name in ("rss", "rdf", "channel"):
        return Listing(kind="feed", entries=_dedupe(_rss_items(root, base_url)))
    if name == "feed":
        return Listing(kind="feed", entries=_dedupe(_atom_entries(root, base_url)))
    if name == "urlset":
        return Listing(kind="sitemap", entries=_dedupe(_sitemap_urls(root, base_url)))
    if name == "sitemapindex":
        return Listing(kind="sitemapindex", entries=_dedupe(_sitemap_urls(root, base_url)))
    raise ListingError(f"not a feed or sitemap: the document is <{name}>")


def _is_html(body: bytes) -> bool:
    start = body[:512].lower()
    return start.startswith((b"<!doctype html", b"<html")) or (
        start.startswith(b"<?xml") and b"<html" in start)


def _html_title(body: bytes) -> str:
    """`` (title: '…')`` for an HTML page, say an error or login page served at a feed's URL."""
    match = re.search(rb"<title[^>]*>(.*?)</title", body[:8192], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    title = " ".join(match.group(1).decode("utf-8", errors="replace").split())[:80]
    return f" (title: {title!r})" if title else ""


def _gunzip(body: bytes, max_size: int) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, max_size or 0)
    except zlib.error as exc:
        raise ListingError(f"not a feed or sitemap: broken gzip data ({exc})") from exc
    if max_size and decompressor.unconsumed_tail:
        raise ListingError(f"gzipped listing larger than {max_size} bytes once decompressed")
    return data


def _parse_xml(body: bytes) -> etree._Element | None:
    parser = etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    # libxml2 stops at an entity bomb and the recovering parser keeps what came before it:
    # a cut-off listing would look complete, so the whole document is refused.
    limit = next((error for error in parser.error_log
                  if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT), None)
    if limit is not None:
        reason = limit.message.split(",")[0].rstrip(".")
        raise ListingError(f"refused: its entities expand past the XML parser's limit ({reason})")
    return root


def _children(element: etree._Element, *names: str) -> list[etree._Element]:
    """Child elements whose local name is one of ``names``, in any namespace."""
    return [child for child in element if isinstance(child.tag, str)
            and _local_name(child.tag) in names]


def _local_name(tag: str) -> str:
    # Not etree.QName: it refuses the odd names (":", ":v") lxml's recovering parser makes.
    return tag.rpartition("}")[2]


def _first_text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        for child in _children(element, name):
            text = " ".join("".join(child.itertext()).split())
            if text:
                return text
    return None


def _absolute(base_url: str, link: str | None) -> str | None:
    if not link:
        return None
    try:
        url = urljoin(base_url, link.strip())
        scheme = urlsplit(url).scheme
    except ValueError:  # "http://[::1" and other links no URL parser accepts
        return None
    return url if scheme in ("http", "https") else None


def _rss_items(root: etree._Element, base_url: str) -> list[Entry]:
    items = root.xpath("//*[local-name()='item']")
    entries = []
    for item in items:
        link = _first_text(item, "origLink", "link")
        if not link:
            guid = next(iter(_children(item, "guid")), None)
            if guid is not None and guid.get("isPermaLink", "true").lower() != "false":
                link = (guid.text or "").strip()
        url = _absolute(base_url, link)
        if url:
            entries.append(Entry(
                url=url,
                title=_first_text(item, "title"),
                published=parse_date(_first_text(item, "pubDate", "date", "published", "issued")),
                modified=parse_date(_first_text(item, "updated", "modified")),
            ))
    return entries


def _atom_entries(root: etree._Element, base_url: str) -> list[Entry]:
    entries = []
    for entry in root.xpath("//*[local-name()='entry']"):
        links = _children(entry, "link")
        alternate = [link for link in links if link.get("rel", "alternate") == "alternate"]
        href = next((link.get("href") for link in alternate + links if link.get("href")), None)
        url = _absolute(base_url, href or _first_text(entry, "origLink"))
        if url:
            entries.append(Entry(
                url=url,
                title=_first_text(entry, "title"),
                published=parse_date(_first_text(entry, "published", "issued", "created")),
                modified=parse_date(_first_text(entry, "updated", "modified")),
            ))
    return entries


def _sitemap_urls(root: etree._Element, base_url: str) -> list[Entry]:
    """``<url>`` or ``<sitemap>`` entries, with the Google News block when there is one."""
    entries = []
    for node in _children(root, "url", "sitemap"):
        url = _absolute(base_url, _first_text(node, "loc"))
        if not url:
            continue
        # Scrapy's own sitemap reader drops the news: block; it holds the title and the
        # publication time, which is what tells a fresh article from an old one.
        news = next(iter(node.xpath("*[local-name()='news']")), None)
        entries.append(Entry(
            url=url,
            title=_first_text(news, "title") if news is not None else None,
            published=(parse_date(_first_text(news, "publication_date"))
                       if news is not None else None),
            modified=parse_date(_first_text(node, "lastmod")),
        ))
    return entries


def _plain_text_sitemap(body: bytes, base_url: str) -> Listing:
    lines = body.decode("utf-8", errors="replace").split()
    urls = [_absolute(base_url, line) for line in lines]
    if not lines or not all(url and url == line for url, line in zip(urls, lines, strict=True)):
        raise ListingError(f"not a feed or sitemap: the body starts with {_start(body)}")
    return Listing(kind="sitemap", entries=_dedupe(Entry(url=url) for url in urls if url))


def _start(body: bytes) -> str:
    return repr(body[:40].decode("utf-8", errors="replace"))


def _dedupe(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.url, entry)
    return tuple(seen.values())
