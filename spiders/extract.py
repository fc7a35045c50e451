"""One HTML page in, one cleaned Article out (or None when the page is not an article).

Trafilatura finds the main text; :mod:`spiders.metadata` reads what the page says about itself
(headline, author, publication time, the publisher's own ``articleBody``); :mod:`spiders.clean`
then drops the furniture that sat inside the article container.

A real article is never dropped for being short: a page whose structured data or OpenGraph
type says it is an article needs only a body that is more than an empty shell. Lengths are
weighed by script (:func:`text_weight`), as a Chinese character carries about what four Latin
letters do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from trafilatura.utils import load_html

from spiders.clean import MAX_LINK_DENSITY, Block, clean_blocks, is_furniture
from spiders.dates import publication_time
from spiders.metadata import PageMetadata, squash
from spiders.prepare import prepare
from store.items import Article
from store.urls import canonical_url

__all__ = ["MIN_ARTICLE_CHARS", "MIN_BODY_CHARS", "declared_url", "extract_article",
           "page_blocks", "text_weight"]

#: Shortest body, weighed by :func:`text_weight` after cleaning, that makes a page an article
#: when the page does not say it is one.
MIN_BODY_CHARS = 120
#: Shortest body of a page that says it is an article (structured data, ``og:type``) and has a
#: headline: only an empty shell (a headline over a "Loading..." or a share bar) is less.
MIN_ARTICLE_CHARS = 50
#: When cleaning leaves less than this share of the text trafilatura found, the cleaning is
#: wrong about the page, not the page about itself: trafilatura's text is kept.
FAIR_SHARE = 0.5
#: The publisher's ``articleBody`` replaces the extracted body when it weighs this much more
#: and holds what was extracted; a stated text agrees with another when it shares this share
#: of its 4-word runs.
PUBLISHER_MARGIN = 1.25
AGREEMENT = 0.9
#: Longest headline made from a body's first sentence, for a page that gives none.
MAX_MADE_HEADLINE = 100
# Trafilatura favours recall and the cleaning takes the furniture out: its stricter mode lost
# whole real bodies (extract_real, docs/benchmarks.md).
FAVOR_PRECISION = False
FAVOR_RECALL = True
# Without its fallback extractors (readability, jusText): they took about 40 % of trafilatura's
# time and, on the real pages of extract_real's tuning half, brought in more furniture than text.
FAST_EXTRACTION = True

# Page regions that are never the article, by their ARIA role rather than any site's classes.
# Dropped once before extraction (trafilatura's prune_xpath would run it on every pass).
_PRUNE_ROLES = frozenset({"dialog", "alertdialog", "navigation", "banner", "contentinfo",
                          "complementary"})
_PRUNE = etree.XPath("//*[@role or @aria-modal]")

_BLOCK_TAGS = frozenset({"p", "head", "quote", "code"})
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_TRAILING_ELLIPSIS = re.compile(r"\s*(\.{3}|…)\s*$")
# Scripts that write more per character than Latin letters do, and how much more: a Chinese
# word is about 1.5 characters where an English one is about 6 with its space.
_DENSE_SCRIPTS = (
    (re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"), 4),
    (re.compile(r"[\uac00-\ud7af]"), 3),  # Hangul syllables
    (re.compile(r"[\u3040-\u30ff]"), 2),  # kana
)


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
    A page is not an article when its structured data says it is a listing, or when its body
    weighs less than ``min_chars`` (:data:`MIN_ARTICLE_CHARS` when the page says it is an
    article and has a headline). A page that gives no headline is headed by its first sentence.
    """
    tree = load_html(html)
    if tree is None:
        return None
    # Read the page's own metadata first: trafilatura prunes the tree it is given.
    page = PageMetadata.read(tree, url)
    if page.is_listing:
        return None
    publisher_body = _publisher_body(tree, page.article_body)
    found = _found(tree)
    if found is None:
        return None

    fetched = fetched or datetime.now(UTC)
    title = page.headline or ""
    found = _drop_leading(found, title)
    blocks = _body(found, publisher_body, page)
    # A description shown nowhere on the page is a summary for search engines only.
    description = squash(page.description or "") if page.shows_description else ""
    standfirst, blocks = _split_standfirst(blocks, description, page.shown_description)
    text = "\n\n".join(block.text for block in blocks)
    floor = min(min_chars, MIN_ARTICLE_CHARS) if page.is_article and title else min_chars
    if text_weight(text) < floor:
        return None
    title = title or _first_sentence(text)

    return Article(
        url=url,
        canonical_url=page.canonical or canonical_url(url),
        site=site,
        title=title,
        text=text,
        standfirst=standfirst,
        author=squash(page.author or "") or None,
        published=publication_time(page.published, published_hint, fetched=fetched),
        language=page.language,
        fetched=fetched,
    )


def page_blocks(html: str | bytes) -> list[Block]:
    """The blocks trafilatura finds on the page, before any cleaning: what the cleaning rules
    of :mod:`spiders.clean` judge."""
    tree = load_html(html)
    return (_found(tree) or []) if tree is not None else []


def _found(tree: etree._Element) -> list[Block] | None:
    """The page's main text as trafilatura finds it, in blocks; None when it finds none.
    ``tree`` is changed: regions that are never the article go first."""
    prepare(tree)
    for region in _PRUNE(tree):
        if (region.get("role") in _PRUNE_ROLES or region.get("aria-modal") == "true") \
                and region.getparent() is not None:
            region.drop_tree()
    link_texts = _link_texts(tree)
    # The page's metadata is read before; trafilatura's own metadata pass would repeat it.
    # Without a URL it keeps each link's address as written: only the link's text is used
    # (link density, in spiders.clean), and making every address absolute took a tenth of
    # the extraction's time.
    document = trafilatura.bare_extraction(
        tree,
        url=None,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        include_links=True,
        favor_precision=FAVOR_PRECISION,
        favor_recall=FAVOR_RECALL,
        fast=FAST_EXTRACTION,
    )
    if document is None or document.body is None:
        return None
    return list(_blocks(document.body, link_texts))


def _body(found: list[Block], publisher_body: list[Block], page: PageMetadata) -> list[Block]:
    """The article's blocks: trafilatura's, cleaned, unless the cleaning took most of them
    from a page that is an article, or the publisher's own body says more."""
    blocks = clean_blocks(found, author=page.author)
    if text_weight(blocks) < FAIR_SHARE * text_weight(found) and (
            page.is_article or _link_density(found) <= MAX_LINK_DENSITY):
        blocks = found
    if publisher_body:
        stated = _shingles("\n".join(block.text for block in publisher_body))
        # Blocks dropped for their links or their place, although the publisher states them,
        # are the article's; words that say furniture stay furniture.
        blocks = [b for b in found if b in blocks
                  or (_within(b.text, stated) and not is_furniture(replace(b, link_chars=0)))]
        ours = _shingles("\n".join(block.text for block in blocks))
        if text_weight(publisher_body) > PUBLISHER_MARGIN * text_weight(blocks) \
                and len(ours & stated) >= AGREEMENT * len(ours):
            blocks = clean_blocks(publisher_body, author=page.author)
    return blocks


def _publisher_body(tree: etree._Element, article_body: str | None) -> list[Block]:
    """The paragraphs of the page's JSON-LD ``articleBody`` when the page shows that text (a
    body stated but not shown is not what readers see); else none."""
    if not article_body:
        return []
    stated = _shingles(article_body)
    body = tree.find("body")
    if not stated or body is None:
        return []
    shown = _shingles(" ".join(body.xpath(".//text()[not(ancestor::script or ancestor::style)]")))
    if len(stated & shown) < AGREEMENT * len(stated):
        return []
    return [Block(text=squash(line)) for line in article_body.splitlines() if line.strip()]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def _within(text: str, stated: set[tuple[str, ...]]) -> bool:
    own = _shingles(text)
    return bool(own) and len(own & stated) >= AGREEMENT * len(own)


def _link_density(blocks: list[Block]) -> float:
    chars = sum(len(block.text) for block in blocks)
    return sum(block.link_chars for block in blocks) / chars if chars else 0.0


def _first_sentence(text: str) -> str:
    """A headline for a page that gives none: the body's first sentence, cut short."""
    sentence = _SENTENCE_END.split(text.split("\n\n", 1)[0], maxsplit=1)[0]
    if len(sentence) <= MAX_MADE_HEADLINE:
        return sentence
    return sentence[:MAX_MADE_HEADLINE].rsplit(" ", 1)[0] + "…"


def text_weight(text: str | list[Block]) -> int:
    """How much ``text`` says, in Latin characters: a character of a script that writes more
    per character (Chinese, Japanese, Korean) counts as several."""
    if not isinstance(text, str):
        text = "".join(block.text for block in text)
    weight = len(text)
    if not text.isascii():
        for script, factor in _DENSE_SCRIPTS:
            weight += (factor - 1) * len(script.findall(text))
    return weight


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


def _link_texts(tree: etree._Element) -> frozenset[str]:
    """The text of every link on the page."""
    return frozenset(squash(a.text_content()) for a in tree.iter("a") if a.get("href"))


def _blocks(body: etree._Element, link_texts: frozenset[str]) -> Iterator[Block]:
    """Paragraph-like blocks of trafilatura's XML body, with their link text counted."""
    group = 0
    for element in body.iterchildren():
        if element.tag == "list":
            group += 1
            for item in element.iterchildren("item"):
                yield _block(item, "item", group, link_texts)
        elif element.tag == "table":  # a row is a line; a table of links goes as a whole
            group += 1
            for row in element.iter("row"):
                yield _block(row, "row", group, link_texts)
        elif element.tag in _BLOCK_TAGS:
            yield _block(element, element.tag, None, link_texts)


def _block(element: etree._Element, kind: str, group: int | None,
           link_texts: frozenset[str]) -> Block:
    if kind == "row":  # cells apart, as a reader sees them
        raw = " | ".join(squash(_text(cell)) for cell in element.iterchildren("cell"))
    else:
        raw = _text(element)
    text = squash(raw)
    # Only links to another page: trafilatura makes an empty anchor (an index mark) a <ref>
    # holding the text after it, and a heading's own "#" anchor leads nowhere else.
    links = sum(len(squash("".join(ref.itertext()))) for ref in element.iter("ref")
                if not (ref.get("target") or "#").startswith("#"))
    if not links and len(element) == 0 and "\n" in raw.strip():
        # Trafilatura's last resort dumps a page's text as one element without any markup,
        # one line per element: a line that is a link's whole text was a link. (An element
        # with markup is no dump: a heading holding its own "#" anchor spans lines only by
        # its indentation.)
        links = sum(len(line) for line in map(squash, raw.splitlines()) if line in link_texts)
    return Block(text=text, kind=kind, link_chars=min(links, len(text)), group=group)


def _text(element: etree._Element) -> str:
    """The element's text, a line break (``<lb/>``) kept as one: words on either side of it
    stay apart (lines of code, of a poem, of an address)."""
    if element.find(".//lb") is None:
        return "".join(element.itertext())
    return "".join(_itertext_breaking(element))


def _itertext_breaking(element: etree._Element) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if child.tag == "lb":
            yield "\n"
        else:
            yield from _itertext_breaking(child)
        if child.tail:
            yield child.tail


def _drop_leading(blocks: list[Block], title: str) -> list[Block]:
    """Drop the headline (and a dateline-sized kicker above it) repeated at the body's top."""
    key = _words(title)
    for index, block in enumerate(blocks[:3]):
        if _words(block.text) == key:
            return blocks[index + 1:]
    return blocks


def _split_standfirst(blocks: list[Block], description: str, shown: str | None = None
                      ) -> tuple[str, list[Block]]:
    """The standfirst, and the body without it.

    The page's description is the standfirst when it opens the body (then it moves out of the
    body) or when it appears nowhere in it, as the page ``shown`` it when it shows more. A
    description that only repeats the first paragraph, often cut short with an ellipsis, is no
    standfirst. Texts are compared word for word: quotes and dashes vary between them.
    """
    if not description or is_furniture(Block(text=description)):
        return "", blocks
    if blocks and _words(blocks[0].text) == _words(description):
        return blocks[0].text, blocks[1:]
    stem = _words(_TRAILING_ELLIPSIS.sub("", description))
    if any(stem in _words(block.text) for block in blocks):
        return "", blocks
    if shown and not any(_words(shown) in _words(block.text) for block in blocks):
        return shown, blocks
    return description, blocks


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _meta(tree: etree._Element, name: str) -> str | None:
    """The content of ``<meta property|name|itemprop=name>``, or None."""
    for attribute in ("property", "name", "itemprop"):
        values = tree.xpath(f"//meta[@{attribute}=$name]/@content", name=name)
        for value in values:
            if value.strip():
                return value.strip()
    return None
