"""One HTML page in, one cleaned Article out (or None when the page is not an article).

Trafilatura finds the main text and most metadata. The page's own structured data fills what it
misses: JSON-LD ``NewsArticle``, OpenGraph ``article:published_time``, ``<time datetime>``,
``<link rel="canonical">`` and ``<html lang>``. :mod:`spiders.clean` then drops the furniture
that sat inside the article container.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from spiders.clean import Block, clean_blocks, is_furniture
from spiders.dates import parse_date
from spiders.items import Article
from store.urls import canonical_url

__all__ = ["MIN_BODY_CHARS", "extract_article"]

#: Shortest body, in characters after cleaning, that still makes a page an article.
MIN_BODY_CHARS = 200

# Page regions that are never the article, by their ARIA role rather than any site's classes.
_PRUNE_XPATH = [
    "//*[@role='dialog' or @role='alertdialog' or @aria-modal='true']",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='complementary']",
]

_ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle",
    "blogposting", "liveblogposting", "report", "scholarlyarticle", "techarticle",
})
_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})

_BLOCK_TAGS = frozenset({"p", "head", "quote", "code"})
_TRAILING_ELLIPSIS = re.compile(r"\s*(\.{3}|…)\s*$")


def extract_article(
    html: str | bytes,
    url: str,
    site: str,
    *,
    fetched: datetime | None = None,
    published_hint: datetime | None = None,
    min_chars: int = MIN_BODY_CHARS,
) -> Article | None:
    """Return the article on the page at ``url``, or None when the page holds none.

    ``published_hint`` (say, from the feed that listed the page) is used when the page has no
    machine-readable publication time; it beats a date guessed from the page's text.
    A page is not an article when it has no headline, when its structured data says it is a
    listing, or when fewer than ``min_chars`` characters of body survive cleaning.
    """
    tree = load_html(html)
    if tree is None:
        return None
    # Read the page's own metadata first: trafilatura prunes the tree it is given.
    page = _PageMetadata.read(tree, url)
    if page.is_listing:
        return None
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_links=True,
        favor_precision=True,
        prune_xpath=_PRUNE_XPATH,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if document is None or document.body is None:
        return None

    title = _squash(document.title or page.headline or "")
    blocks = clean_blocks(_blocks(document.body))
    blocks = _drop_leading(blocks, title)
    description = _squash(document.description or "")
    standfirst, blocks = _split_standfirst(blocks, description)
    text = "\n\n".join(block.text for block in blocks)
    if not title or len(text) < min_chars:
        return None

    return Article(
        url=url,
        canonical_url=page.canonical or canonical_url(url),
        site=site,
        title=title,
        text=text,
        standfirst=standfirst,
        author=_squash(document.author or page.author or "") or None,
        published=page.published or published_hint or parse_date(document.date),
        language=_language(document.language) or page.language,
        fetched=fetched or datetime.now(UTC),
    )


@dataclass(frozen=True, kw_only=True)
class _PageMetadata:
    """What the page says about itself, outside the extracted text."""

    headline: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical: str | None = None
    is_listing: bool = False

    @classmethod
    def read(cls, tree: HtmlElement, url: str) -> _PageMetadata:
        objects = list(_json_ld_objects(tree))
        articles = [o for o in objects if _types(o) & _ARTICLE_TYPES]
        listings = [o for o in objects if _types(o) & _LISTING_TYPES]
        og_type = (_meta(tree, "og:type") or "").lower()
        is_article = bool(articles) or og_type == "article" or bool(
            _meta(tree, "article:published_time"))
        main = articles[0] if articles else {}
        return cls(
            headline=_text(main.get("headline")) or _meta(tree, "og:title"),
            author=_json_ld_author(main.get("author")) or _meta(tree, "author"),
            published=_published(tree, main),
            language=_language(tree.get("lang") or tree.get("xml:lang"))
            or _language(_meta(tree, "og:locale")),
            canonical=_canonical(tree, url),
            is_listing=bool(listings) and not is_article,
        )


def _blocks(body: etree._Element) -> Iterator[Block]:
    """Paragraph-like blocks of trafilatura's XML body, with their link text counted."""
    group = 0
    for element in body.iterchildren():
        if element.tag == "list":
            group += 1
            for item in element.iterchildren("item"):
                yield _block(item, "item", group)
        elif element.tag in _BLOCK_TAGS:
            yield _block(element, element.tag, None)


def _block(element: etree._Element, kind: str, group: int | None) -> Block:
    text = _squash("".join(element.itertext()))
    links = sum(len(_squash("".join(ref.itertext()))) for ref in element.iter("ref"))
    return Block(text=text, kind=kind, link_chars=min(links, len(text)), group=group)


def _drop_leading(blocks: list[Block], title: str) -> list[Block]:
    """Drop the headline (and a dateline-sized kicker above it) repeated at the body's top."""
    key = title.casefold()
    for index, block in enumerate(blocks[:3]):
        if block.text.casefold() == key:
            return blocks[index + 1:]
    return blocks


def _split_standfirst(blocks: list[Block], description: str) -> tuple[str, list[Block]]:
    """The standfirst, and the body without it.

    The page's description is the standfirst when it opens the body (then it moves out of the
    body) or when it appears nowhere in it. A description that only repeats the first
    paragraph, often cut short with an ellipsis, is no standfirst.
    """
    if not description or is_furniture(Block(text=description)):
        return "", blocks
    if blocks and blocks[0].text.casefold() == description.casefold():
        return blocks[0].text, blocks[1:]
    stem = _TRAILING_ELLIPSIS.sub("", description).casefold()
    if any(stem in block.text.casefold() for block in blocks):
        return "", blocks
    return description, blocks


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    scripts = tree.xpath(
        "//script[contains(translate(@type, 'JSONLD', 'jsonld'), 'application/ld+json')]"
    )
    for script in scripts:
        raw = (script.text or "").strip()
        if raw.startswith("<!--"):
            raw = raw.removeprefix("<!--").removesuffix("-->")
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        yield from _walk_json_ld(data)


def _walk_json_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _walk_json_ld(entry)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_json_ld(data["@graph"])


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _json_ld_author(value: Any) -> str | None:
    entries = value if isinstance(value, list) else [value]
    names = [_text(e.get("name")) if isinstance(e, dict) else _text(e) for e in entries]
    return ", ".join(n for n in names if n) or None


def _published(tree: HtmlElement, main: dict[str, Any]) -> datetime | None:
    """The first publication time that parses, preferring values that carry a time of day."""
    candidates = [
        _text(main.get("datePublished")),
        _meta(tree, "article:published_time"),
        _meta(tree, "datePublished"),
        *tree.xpath("//article//time/@datetime"),
        *tree.xpath("//time[@itemprop='datePublished']/@datetime"),
        *tree.xpath("//time/@datetime")[:1],
        _text(main.get("dateCreated")),
    ]
    parsed = [(value, parse_date(value)) for value in candidates if value]
    with_time = [when for value, when in parsed if when and (":" in value)]
    dated = [when for _, when in parsed if when]
    return (with_time or dated or [None])[0]


def _meta(tree: HtmlElement, name: str) -> str | None:
    """The content of ``<meta property|name|itemprop=name>``, or None."""
    for attribute in ("property", "name", "itemprop"):
        values = tree.xpath(f"//meta[@{attribute}=$name]/@content", name=name)
        for value in values:
            if value.strip():
                return value.strip()
    return None


def _canonical(tree: HtmlElement, url: str) -> str | None:
    """The page's canonical link when it stays on the fetched host, canonicalised."""
    hrefs = tree.xpath(
        "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')),"
        " ' '), ' canonical ')]/@href"
    )
    for href in hrefs[:1]:
        candidate = urljoin(url, href.strip())
        if _host(candidate) and _host(candidate) == _host(url):
            return canonical_url(candidate)
    return None


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https"):
        return ""
    return (parts.hostname or "").removeprefix("www.")


def _language(value: str | None) -> str | None:
    """The primary language subtag: ``en-GB`` and ``en_GB`` give ``en``."""
    if not value:
        return None
    primary = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _text(value: Any) -> str | None:
    return _squash(value) or None if isinstance(value, str) else None


def _squash(text: str) -> str:
    return " ".join(text.split())
