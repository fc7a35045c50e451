"""What a page says about itself outside its text: headline, author, publication time, language,
canonical address, whether it is an article or a listing, and the publisher's own body text.

Each value is taken from the most deliberate statement the page makes: JSON-LD first, then
Dublin Core, OpenGraph, Twitter and Parse.ly ``<meta>`` tags, then the page's own markup
(``<title>``, ``<h1>``, a byline element, ``<time datetime>``). The order follows Mozilla
Readability's, which many publishers test their pages against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from spiders.dates import parse_date
from store.urls import canonical_url

__all__ = ["PageMetadata", "squash"]

_ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle",
    "advertisercontentarticle", "satiricalarticle", "blogposting", "liveblogposting", "report",
    "scholarlyarticle", "medicalscholarlyarticle", "techarticle", "socialmediaposting",
})
_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})

# <meta> names, most trusted first. Keys are lowercased, with "." read as ":" (DC.title).
_TITLE_KEYS = ("dc:title", "dcterm:title", "og:title", "weibo:article:title",
               "weibo:webpage:title", "title", "twitter:title", "parsely-title")
_AUTHOR_KEYS = ("dc:creator", "dcterm:creator", "author", "parsely-author", "article:author",
                "byl", "sailthru:author")
_PUBLISHED_KEYS = ("article:published_time", "parsely-pub-date", "datepublished",
                   "og:published_time", "date", "pubdate", "publishdate", "dc:date",
                   "dc:date:issued", "sailthru:date")
# A byline element: its rel or itemprop says so, or its class or id does.
_BYLINE = re.compile(r"byline|author|writtenby|p-author", re.IGNORECASE)
_BYLINE_CANDIDATES = etree.XPath(
    "//body//*[@rel='author' or contains(@itemprop, 'author') or contains(@class, 'uthor')"
    " or contains(@class, 'yline') or contains(@id, 'uthor') or contains(@id, 'yline')"
    " or contains(@class, 'rittenby')]"
    "[not(ancestor-or-self::script or ancestor::aside or ancestor::nav)]")
_BY = re.compile(r"^((written )?by|par|von|por|di|door|av|af)\s+", re.IGNORECASE)
# Regions whose author names are other articles' (a sidebar's "follow these authors", the
# comments): Readability's unlikely regions, unless their names also say they hold the article.
_ASIDE = re.compile(
    r"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|"
    r"gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|"
    r"sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote", re.IGNORECASE)
_ARTICLE_BOX = re.compile(r"and|article|body|column|content|main|shadow", re.IGNORECASE)
_ASIDE_ROLES = frozenset({"menu", "menubar", "complementary", "navigation", "alert",
                          "alertdialog", "dialog"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_MAX_BYLINE_CHARS = 100
# What follows the names in a byline box: a date ("March 11, 2015", "11.03.2015"), a time
# ("3:46 PM"), an age ("• 8h", "2 hours ago"), "Updated …", the editor ("Edited by …"), a
# separator before any of them.
_BYLINE_TAIL = re.compile(
    r"\s*(?:[•|·]|\b(?:updated|published|posted)\b|\b(?:edited|reviewed|fact-checked) by\b|"
    r"\b(?:on\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b|"
    r"\b\d{1,2}:\d{2}\b|\b\d+\s*(?:h|hrs?|hours?|mins?|minutes?|d|days?)\b).*$",
    re.IGNORECASE)
_TITLE_MARKS = frozenset("|-–—_:·»/>")
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ", " / ", " > ")
_TRAILING_ELLIPSIS = re.compile(r"\s*(\.{3}|…)\s*$")
# A standfirst is a sentence or two; an element holding more is the body, or all of the page.
_MAX_STANDFIRST_CHARS = 600


@dataclass(frozen=True, kw_only=True)
class PageMetadata:
    """What the page says about itself, outside the extracted text."""

    headline: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical: str | None = None
    #: The page's structured data or OpenGraph type says it is an article.
    is_article: bool = False
    is_listing: bool = False
    description: str | None = None
    shows_description: bool = False
    #: The page's own element that opens with the description: the standfirst as shown, which
    #: the description may only shorten.
    shown_description: str | None = None
    #: JSON-LD ``articleBody``: the publisher's own statement of the body, when given.
    article_body: str | None = None

    @classmethod
    def read(cls, tree: HtmlElement, url: str) -> PageMetadata:
        metas = _Metas.read(tree)
        objects = list(_json_ld_objects(tree))
        articles = [o for o in objects if _types(o) & _ARTICLE_TYPES]
        listings = [o for o in objects if _types(o) & _LISTING_TYPES]
        og_type = (metas.first("og:type") or "").lower()
        is_article = bool(articles) or og_type == "article" or bool(
            metas.get("article:published_time"))
        main = articles[0] if articles else {}
        description = metas.first("og:description") or metas.first("description")
        shown = _shown(tree, description) if description else None
        body = main.get("articleBody")
        return cls(
            headline=_headline(tree, main, metas),
            author=_json_ld_author(main.get("author"), objects) or _author(tree, metas),
            published=_published(tree, main, metas),
            language=_language(tree.get("lang") or tree.get("xml:lang"))
            or _language(metas.first("og:locale")),
            canonical=_canonical(tree, url),
            is_article=is_article,
            is_listing=bool(listings) and not is_article,
            description=description,
            shows_description=shown is not None,
            shown_description=shown or None,
            article_body=body.strip() or None if isinstance(body, str) else None,
        )


def squash(text: str) -> str:
    """``text`` with every run of white space one space, and none at either end."""
    return " ".join(text.split())


def _headline(tree: HtmlElement, main: dict[str, Any], metas: _Metas) -> str | None:
    """The article's headline: structured data first, then the page's ``<title>`` without a
    " | Site name" tail, then its first ``<h1>``."""
    title = squash(tree.findtext(".//title") or "")
    stated = _json_ld_headline(main, title) or next(
        (metas.first(key) for key in _TITLE_KEYS if metas.get(key)), None)
    if stated:
        return squash(stated)
    h1 = next((squash(h.text_content()) for h in tree.iter("h1")), "")
    sites = {squash(n).casefold() for n in (metas.first("og:site_name"),
                                            metas.first("application-name")) if n}
    if not title or title.casefold() in sites:
        return h1 or None
    # "<h1> | Site", "<h1>_频道_网站": the <title> is the headline and the site's name.
    if h1 and title.startswith(h1) and title[len(h1):len(h1) + 2].strip()[:1] in _TITLE_MARKS:
        return h1
    for separator in _TITLE_SEPARATORS:
        head, sep, tail = title.rpartition(separator)
        # A <title> ends with the site's name: a few words after the last separator, when
        # what is left still reads as a headline.
        if sep and head and (tail.casefold() in sites or head == h1
                             or (len(tail.split()) <= 4 and len(head.split()) >= 3)):
            return head
    return title


def _json_ld_headline(main: dict[str, Any], title: str) -> str | None:
    """The article's ``headline``, or its ``name``: some sites put a summary in one of them,
    so when both are given the one closer to the page's ``<title>`` wins."""
    headline, name = _text(main.get("headline")), _text(main.get("name"))
    if headline and name and headline != name:
        words = set(re.findall(r"\w+", title.casefold()))
        return max((headline, name), key=lambda value: len(
            words & set(re.findall(r"\w+", value.casefold()))))
    return headline or name


def _author(tree: HtmlElement, metas: _Metas) -> str | None:
    for key in _AUTHOR_KEYS:
        names = [squash(v) for v in metas.get(key, ()) if not v.startswith(("http://",
                                                                             "https://"))]
        if names:
            return "; ".join(dict.fromkeys(_byline(name) for name in names))
    for element in _BYLINE_CANDIDATES(tree):
        if not (element.get("rel") == "author" or "author" in (element.get("itemprop") or "")
                or _BYLINE.search(f"{element.get('class', '')} {element.get('id', '')}")):
            continue
        if _hidden(element) or any(_aside(box) or _hidden(box)
                                   for box in element.iterancestors()):
            continue
        name = squash(element.text_content())
        if not 0 < len(name) < _MAX_BYLINE_CHARS:
            continue
        return _byline(_name_element(element).text_content())
    return None


def _name_element(element: etree._Element) -> etree._Element:
    """The element inside a byline that holds only the name: its ``itemprop="name"``, else the
    one element inside it named as the author's, else the one such link (a byline box also
    holds the writer's role, a date, a photo). A byline naming several writers is kept whole,
    with its own "and"."""
    named = [e for e in element.xpath(".//*[contains(@itemprop, 'name')]")
             if squash(e.text_content())]
    if named:
        return named[0]
    inner = [e for e in element.iterdescendants()
             if isinstance(e.tag, str) and squash(e.text_content())
             and _BY.sub("", squash(e.text_content()))
             and (e.get("rel") == "author"
                  or _BYLINE.search(f"{e.get('class', '')} {e.get('id', '')}"))]
    outermost = [e for e in inner if not any(a in inner for a in e.iterancestors())]
    links = [e for e in outermost if e.tag == "a"]
    if len(outermost) == 1:
        return outermost[0]
    return links[0] if len(links) == 1 else element


def _byline(text: str) -> str:
    """A byline's names, without the "By" before them and the date, time or age after them."""
    name = _BY.sub("", squash(text))
    return _BYLINE_TAIL.sub("", name).strip(" ,;:-–—|•·") or name


def _aside(element: etree._Element) -> bool:
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return element.get("role") in _ASIDE_ROLES or (
        _ASIDE.search(names) is not None and _ARTICLE_BOX.search(names) is None)


def _hidden(element: etree._Element) -> bool:
    return element.get("hidden") is not None or element.get("aria-hidden") == "true" \
        or _HIDDEN_STYLE.search(element.get("style") or "") is not None


def _shown(tree: HtmlElement, passage: str) -> str | None:
    """The text of the element of the page's body that shows ``passage`` ("" when it shows it
    only inside a longer text), or None when the page does not show it. The passage's first
    words are enough to find it (more might run across an inline tag, such as a bold opening
    word)."""
    words = squash(_TRAILING_ELLIPSIS.sub("", passage)).split()[:3]
    start = " ".join(words)
    if not start:
        return None
    found = tree.xpath("//body//text()[contains(normalize-space(.), $start)]"
                       "[not(ancestor::script) and not(ancestor::style)][1]", start=start)
    if not found:
        return None
    parent = found[0].getparent()
    shown = squash(parent.text_content()) if parent is not None else ""
    if shown.startswith(start) and len(shown) <= _MAX_STANDFIRST_CHARS:
        return shown
    return ""


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    scripts = tree.xpath(
        "//script[contains(translate(@type, 'JSONLD', 'jsonld'), 'application/ld+json')]"
    )
    for script in scripts:
        raw = _unwrap((script.text or "").strip())
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):  # RecursionError: hostile nesting thousands deep
            continue
        yield from _walk_json_ld(data)


def _unwrap(raw: str) -> str:
    """The JSON inside the HTML comment or CDATA section some pages wrap it in."""
    for start, end in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if raw.startswith(start):
            raw = raw.removeprefix(start).strip().removesuffix(end)
    return raw


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


def _json_ld_author(value: Any, objects: list[dict[str, Any]]) -> str | None:
    """The names of the article's ``author``: a name, a Person or Organization, a list of them,
    or a reference (``{"@id": …}``) to one described elsewhere in the page's graph, as
    WordPress's SEO plug-ins write it."""
    entries = value if isinstance(value, list) else [value]
    described = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str) and "name" in o}
    names = []
    for entry in entries:
        if isinstance(entry, dict):
            reference = entry.get("@id")
            if "name" not in entry and isinstance(reference, str):
                entry = described.get(reference, entry)
            name = entry.get("name")
            names.append(_text(name[0] if isinstance(name, list) and name else name))
        else:
            names.append(_text(entry))
    return ", ".join(n for n in names if n) or None


def _published(tree: HtmlElement, main: dict[str, Any], metas: _Metas
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


def _date_candidates(tree: HtmlElement, main: dict[str, Any], metas: _Metas
                     ) -> Iterator[str | None]:
    """Publication times in order of trust; the page is searched only as far as needed."""
    yield _text(main.get("datePublished"))
    for key in _PUBLISHED_KEYS:
        yield metas.first(key)
    times = tree.xpath("//time[@datetime]")
    yield from (t.get("datetime") for t in times if _inside(t, "article"))
    yield from (t.get("datetime") for t in times if t.get("itemprop") == "datePublished")
    yield from (t.get("datetime") for t in times[:1])
    yield _text(main.get("dateCreated"))


def _inside(element: etree._Element, tag: str) -> bool:
    return any(ancestor.tag == tag for ancestor in element.iterancestors())


class _Metas(dict[str, list[str]]):
    """Every ``<meta property|name|itemprop=… content=…>`` by lowercased name ("." read as
    ":"), each with all its values. A ``property`` may list several names; its values beat
    those of a ``name`` of the same key (RDFa's ``property`` is the stricter statement)."""

    @classmethod
    def read(cls, tree: HtmlElement) -> _Metas:
        by_property: dict[str, list[str]] = {}
        by_name: dict[str, list[str]] = {}
        for meta in tree.iter("meta"):
            content = (meta.get("content") or "").strip()
            if not content:
                continue
            for key in (meta.get("property") or "").lower().split():
                by_property.setdefault(key, []).append(content)
            for attribute in ("name", "itemprop"):
                key = "".join((meta.get(attribute) or "").split()).lower().replace(".", ":")
                if key:
                    by_name.setdefault(key, []).append(content)
        return cls({**by_name, **by_property})

    def first(self, key: str) -> str | None:
        values = self.get(key)
        return values[0] if values else None


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
    return squash(value) or None if isinstance(value, str) else None
