"""Old-style markup made readable before extraction: layout tables, ``<br><br>`` paragraphs and
text left outside any paragraph.

Many local and legacy news sites still lay pages out with tables and separate paragraphs with
two line breaks inside one ``<div>``. Main-text extractors skip table cells and see one huge
paragraph, so such an article comes out empty or glued to its navigation. :func:`prepare`
turns layout tables (cells holding paragraphs of prose) into ``<div>`` s and ``<br><br>``
runs into ``<p>`` s, in place; data tables and ordinary markup are left alone.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["prepare"]

#: A table cell holding more text than this, with block markup in it, is page layout.
LAYOUT_CELL_CHARS = 300

_TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th")
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "center", "div", "dl", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre",
    "section", "table", "ul",
})
# One compiled query: a loop over every <div> in Python takes twice as long.
_LOOSE_TEXT_DIVS = etree.XPath(
    "//div[text()[normalize-space()]][" + " or ".join(sorted(_BLOCK_TAGS)) + "]")


def prepare(tree: HtmlElement) -> HtmlElement:
    """Unwrap layout tables and split ``<br><br>`` paragraphs in ``tree``; returns it."""
    for table in [t for t in tree.iter("table") if _is_layout(t)]:
        parts = [p for p in table.iter(*_TABLE_PARTS) if p is table or _owner(p) is table]
        for part in parts:
            part.tag = "div"
    for div in _double_break_divs(tree):
        _split_paragraphs(div)
    for div in _loose_text_divs(tree):
        _split_paragraphs(div)
    return tree


def _loose_text_divs(tree: HtmlElement) -> list[etree._Element]:
    """The ``<div>`` s holding text of their own beside block children: a paragraph written
    straight after a figure's box, outside any ``<p>``, which main-text extractors skip (as
    Readability does, such text becomes a paragraph)."""
    return _LOOSE_TEXT_DIVS(tree)


def _double_break_divs(tree: HtmlElement) -> list[etree._Element]:
    """The ``<div>`` s holding a ``<br>`` followed, blank text aside, by another ``<br>``."""
    found: dict[etree._Element, None] = {}
    for br in tree.iter("br"):
        parent = br.getparent()
        if parent is None or parent.tag != "div" or parent in found:
            continue
        following = br.getnext()
        if following is not None and following.tag == "br" and not (br.tail or "").strip():
            found[parent] = None
    return list(found)


def _is_layout(table: etree._Element) -> bool:
    for cell in table.iter("td", "th"):
        if _owner(cell) is not table:
            continue
        if cell.find(".//p") is None and cell.find(".//br") is None and cell.find(".//div") is None:
            continue
        if len(" ".join(cell.text_content().split())) > LAYOUT_CELL_CHARS:
            return True
    return False


def _owner(part: etree._Element) -> etree._Element | None:
    """The table a row or cell belongs to: the nearest table above it."""
    parent = part.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _split_paragraphs(div: etree._Element) -> None:
    """Rebuild ``div``'s inline content as ``<p>`` s, one per run between ``<br><br>``."""
    items: list[str | etree._Element] = [div.text] if div.text else []
    for child in list(div):
        items.append(child)
        if child.tail:
            items.append(child.tail)
            child.tail = None
        div.remove(child)
    div.text = None

    run: list[str | etree._Element] = []
    pending_break: etree._Element | None = None

    def close_run() -> None:
        if any(isinstance(x, str) and x.strip() or not isinstance(x, str) and x.tag != "br"
               for x in run):
            div.append(_paragraph(run))
        run.clear()

    for item in items:
        if isinstance(item, str):
            if item.strip() and pending_break is not None:
                run.append(pending_break)
                pending_break = None
            run.append(item)
        elif item.tag == "br":
            if pending_break is None:
                pending_break = item
            else:
                pending_break = None
                close_run()
        elif item.tag in _BLOCK_TAGS:
            pending_break = None
            close_run()
            div.append(item)
        else:
            if pending_break is not None:
                run.append(pending_break)
                pending_break = None
            run.append(item)
    close_run()


def _paragraph(parts: list[str | etree._Element]) -> etree._Element:
    paragraph = etree.Element("p")
    last: etree._Element | None = None
    for part in parts:
        if isinstance(part, str):
            if last is None:
                paragraph.text = (paragraph.text or "") + part
            else:
                last.tail = (last.tail or "") + part
        else:
            paragraph.append(part)
            last = part
    return paragraph
