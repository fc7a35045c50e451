from __future__ import annotations

from lxml import etree
from trafilatura.utils import load_html

from spiders.prepare import prepare

PROSE = "The council voted on Tuesday to close the old library on Mill Street. " * 6


def test_a_layout_table_becomes_divs_and_its_breaks_paragraphs():
    tree = prepare(load_html(
        f"<html><body><table><tr><td><a href='/'>Home</a></td><td>"
        f"<b>Standfirst</b><br><br>{PROSE}<br><br>Second paragraph<br>same paragraph"
        f"</td></tr></table></body></html>"))

    assert tree.find(".//table") is None
    paragraphs = list(tree.iter("p"))
    assert [" ".join(p.text_content().split()) for p in paragraphs[:2]] == [
        "Standfirst", PROSE.strip()]
    last = paragraphs[2]  # a single <br> stays a line break inside its paragraph
    assert (last.text, last[0].tag, last[0].tail) == ("Second paragraph", "br", "same paragraph")


def test_a_data_table_stays_a_table():
    html = ("<html><body><table><tr><th>Party</th><th>Seats</th></tr>"
            "<tr><td>Greens</td><td>42</td></tr></table><p>Text</p></body></html>")
    tree = prepare(load_html(html))

    assert tree.find(".//table") is not None
    assert etree.tostring(tree).count(b"<td>") == 2


def test_a_single_break_is_a_line_not_a_paragraph():
    tree = prepare(load_html("<html><body><div>one<br>two</div></body></html>"))

    assert tree.find(".//p") is None


def test_text_left_beside_a_figure_box_becomes_a_paragraph():
    # As on Yahoo's copies of ABC News stories: a paragraph written straight after the box of
    # a photo, as loose text of the story's <div>, with a link inside it.
    tree = prepare(load_html(
        "<html><body><div class='story'><p>First paragraph.</p>"
        "<div class='figure'><img src='a.jpg'><p>Caption</p></div>"
        "The Federal Flag Code has guidelines for the proper treatment of the flag. In the "
        "past, the <a href='/court'>Supreme Court</a> ruled on it.<p>Last paragraph.</p>"
        "</div></body></html>"))

    texts = [" ".join(p.text_content().split()) for p in tree.iter("p")]
    assert texts == ["First paragraph.", "Caption",
                     "The Federal Flag Code has guidelines for the proper treatment of the "
                     "flag. In the past, the Supreme Court ruled on it.", "Last paragraph."]


def test_a_box_of_blocks_without_loose_text_is_left_alone():
    html = ("<html><body><div><span>By Ann Lee</span><div><p>Text.</p></div>\n  </div>"
            "</body></html>")
    tree = prepare(load_html(html))

    assert [p.text for p in tree.iter("p")] == ["Text."]
