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
from spiders.dates import parse_date, publication_time
from spiders.items import Article
from spiders.prepare import prepare
from store.urls import canonical_url

__all__ = ["MIN_BODY_CHARS", "declared_url", "extract_article"]

#: Shortest body, in characters after cleaning, that still makes a page an article.
MIN_BODY_CHARS = 200
FAVOR_PRECISION = True  # trafilatura's stricter mode: fewer boxes reach the cleaning step
# Without its fallback extractors (readability, jusText): they took about 40 % of trafilatura's
# time and changed no labelled page's text after cleaning (bench/bench_extract.py).
FAST_EXTRACTION = True

# Page regions that are never the article, by their ARIA role rather than any site's classes.
# Dropped once before extraction (trafilatura's prune_xpath would run it on every pass).
_PRUNE_ROLES = frozenset({"dialog", "alertdialog", "navigation", "banner", "contentinfo",
                          "complementary"})
_PRUNE = etree.XPath("//*[@role or @aria-modal]")

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
    machine-readable publication time, or only one it cannot have had when it was ``fetched``
    (default: now); see :func:`spiders.dates.publication_time`.
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
    prepare(tree)
    for region in _PRUNE(tree):
        if (region.get("role") in _PRUNE_ROLES or region.get("aria-modal") == "true") \
                and region.getparent() is not None:
            region.drop_tree()
    # The page's metadata is read above; trafilatura's own metadata pass would repeat it.
    # Without a URL it keeps each link's address as written: only the link's text is used
    # (link density, in spiders.clean), and making every address absolute took a tenth of
    # the extraction's time.
    document = trafilatura.bare_extraction(
        tree,
        url=None,
        with_metadata=False,
        include_comments=False,
        include_tables=False,
        include_links=True,
        favor_precision=FAVOR_PRECISION,
        fast=FAST_EXTRACTION,
    )
    if document is None or document.body is None:
        return None

    fetched = fetched or datetime.now(UTC)
    title = _squash(page.headline or "")
    blocks = clean_blocks(_blocks(document.body))
    blocks = _drop_leading(blocks, title)
    # A description shown nowhere on the page is a summary for search engines only.
    description = _squash(page.description or "") if page.shows_description else ""
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
        author=_squash(page.author or "") or None,
        published=publication_time(page.published, published_hint, fetched=fetched),
        language=page.language,
        fetched=fetched,
    )


def declared_url(html: str | bytes) -> str | None:
    """The address a saved page gives for itself (canonical link, else ``og:url``), or None."""
    tree = load_html(html)
    if tree is None:
        return None
    hrefs = tree.xpath("//link[contains(translate(@rel, 'CANONICAL', 'canonical'), 'canonical')]"
                       "/@href") + [_meta(tree, "og:url") or ""]
    for href in hrefs:
        if urlsplit(href.strip()).scheme in ("http", "https"):
            return href.strip()
    return None


@dataclass(frozen=True, kw_only=True)
class _PageMetadata:
    """What the page says about itself, outside the extracted text."""

    headline: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical: str | None = None
    is_listing: bool = False
    description: str | None = None
    shows_description: bool = False

    @classmethod
    def read(cls, tree: HtmlElement, url: str) -> _PageMetadata:
        metas = _metas(tree)
        objects = list(_json_ld_objects(tree))
        articles = [o for o in objects if _types(o) & _ARTICLE_TYPES]
        listings = [o for o in objects if _types(o) & _LISTING_TYPES]
        og_type = (metas.get("og:type") or "").lower()
        is_article = bool(articles) or og_type == "article" or bool(
            metas.get("article:published_time"))
        main = articles[0] if articles else {}
        description = metas.get("og:description") or metas.get("description")
        return cls(
            headline=_headline(tree, main, metas),
            author=_json_ld_author(main.get("author")) or _author(tree, metas),
            published=_published(tree, main, metas),
            language=_language(tree.get("lang") or tree.get("xml:lang"))
            or _language(metas.get("og:locale")),
            canonical=_canonical(tree, url),
            is_listing=bool(listings) and not is_article,
            description=description,
            shows_description=bool(description) and _shows(tree, description),
        )


def _headline(tree: HtmlElement, main: dict[str, Any], metas: dict[str, str]) -> str | None:
    """The article's headline: structured data first, then the page's ``<h1>`` and ``<title>``,
    without a " | Site name" tail."""
    h1 = next((_squash(h.text_content()) for h in tree.iter("h1")), "")
    candidates = [_text(main.get("headline")), metas.get("og:title"), metas.get("twitter:title"),
                  h1]
    headline = next((c for c in candidates if c), None)
    from_title = headline is None
    if from_title:
        headline = _squash(tree.findtext(".//title") or "") or None
    if not headline:
        return None
    sites = {_squash(n).casefold() for n in (metas.get("og:site_name"),
                                             metas.get("application-name")) if n}
    for separator in (" | ", " - ", " – ", " — ", " :: "):
        head, sep, tail = headline.rpartition(separator)
        # A <title> ends with the site's name: a few words after the last separator.
        if sep and head and (tail.casefold() in sites or (h1 and head == h1)
                             or (from_title and len(tail.split()) <= 4)):
            return head
    return headline


def _author(tree: HtmlElement, metas: dict[str, str]) -> str | None:
    for key in ("author", "article:author", "dc.creator", "DC.creator", "byl", "sailthru.author"):
        value = metas.get(key)
        if value and not value.startswith(("http://", "https://")):
            return value.removeprefix("By ").removeprefix("by ")
    for element in tree.xpath("//*[@rel='author' or @itemprop='author'][1]"):
        name = _squash(element.text_content())
        if 0 < len(name) <= 100:
            return name.removeprefix("By ").removeprefix("by ")
    return None


def _shows(tree: HtmlElement, passage: str) -> bool:
    """Whether the page's body shows ``passage`` as text; its first words are enough (more
    might run across an inline tag, such as a bold opening word)."""
    words = _squash(_TRAILING_ELLIPSIS.sub("", passage)).split()[:3]
    start = " ".join(words)
    if not start:
        return False
    return bool(tree.xpath(
        "boolean(//body//text()[contains(normalize-space(.), $start)]"
        "[not(ancestor::script) and not(ancestor::style)])", start=start))


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
        except (ValueError, RecursionError):  # RecursionError: hostile nesting thousands deep
            continue
        yield from _walk_json_ld(data)


# Real JSON-LD nests a graph in a list at most; deeper than this is not an article's metadata.
_JSON_LD_DEPTH = 6


def _walk_json_ld(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _JSON_LD_DEPTH:
        return
    if isinstance(data, list):
        for entry in data:
            yield from _walk_json_ld(entry, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk_json_ld(data["@graph"], depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _json_ld_author(value: Any) -> str | None:
    entries = value if isinstance(value, list) else [value]
    names = [_text(e.get("name")) if isinstance(e, dict) else _text(e) for e in entries]
    return ", ".join(n for n in names if n) or None


def _published(tree: HtmlElement, main: dict[str, Any], metas: dict[str, str]
               ) -> datetime | None:
    """The first publication time that parses, preferring values that carry a time of day."""
    first_dated = None
    for value in _date_candidates(tree, main, metas):
        when = parse_date(value) if value else None
        if when is None:
            continue
        if ":" in value:
            return when
        first_dated = first_dated or when
    return first_dated


def _date_candidates(tree: HtmlElement, main: dict[str, Any], metas: dict[str, str]
                     ) -> Iterator[str | None]:
    """Publication times in order of trust; the page is searched only as far as needed."""
    yield _text(main.get("datePublished"))
    yield metas.get("article:published_time")
    yield metas.get("datePublished")
    for key in ("og:published_time", "date", "pubdate", "publishdate", "dc.date",
                "DC.date.issued", "sailthru.date", "parsely-pub-date"):
        yield metas.get(key)
    times = tree.xpath("//time[@datetime]")
    yield from (t.get("datetime") for t in times if _inside(t, "article"))
    yield from (t.get("datetime") for t in times if t.get("itemprop") == "datePublished")
    yield from (t.get("datetime") for t in times[:1])
    yield _text(main.get("dateCreated"))


def _inside(element: etree._Element, tag: str) -> bool:
    return any(ancestor.tag == tag for ancestor in element.iterancestors())


def _metas(tree: HtmlElement) -> dict[str, str]:
    """Every ``<meta property|name|itemprop=… content=…>``, the first value of each name."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = meta.get(attribute)
            if key:
                found.setdefault(key.strip(), content)
    return found


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
    hrefs = [link.get("href") or "" for link in tree.iter("link")
             if "canonical" in (link.get("rel") or "").lower().split()]
    for href in hrefs[:1]:
        try:
            candidate = urljoin(url, href.strip())
        except ValueError:  # "http://[::1": no URL at all
            return None
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
