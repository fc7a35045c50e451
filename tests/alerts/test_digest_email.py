"""The HTML email: its markup, and what a reader sees of it in Chromium at 360 and 900 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alerts.digest import render
from tests.alerts import browser
from tests.alerts.receivers import html_elements
from tests.alerts.showcase import ZONE, showcase

DOCS = Path(__file__).resolve().parents[2] / "docs"
LONGEST_VISIBLE_URL = 60


def showcase_email() -> str:
    [message] = render(showcase(), "email", tz=ZONE)
    assert (message.title, message.body_format) == ("putin-visit: 3 new stories", "html")
    return message.body


def expected_links() -> list[tuple[str, str]]:
    """(text, href) of every link, in reading order: each headline, then its copies."""
    items = showcase().items
    links = []
    for item in (items[1], items[2], items[0]):  # newest first
        links.append((item.headline, item.url))
        links += [(copy.site, copy.url) for copy in item.also_on]
    return links


def expected_marks() -> list[str]:
    items = showcase().items
    return [item.snippet[a:b] for item in (items[1], items[2], items[0]) for a, b in item.marks]


def test_showcase_markup_is_one_column_with_inline_styles() -> None:
    html = showcase_email()
    elements = html_elements(html)
    tags = [tag for tag, _ in elements]
    assert "style" not in tags and "table" not in tags and "img" not in tags
    assert ("meta", {"name": "color-scheme", "content": "light dark"}) in elements
    hrefs = [attrs["href"] for tag, attrs in elements if tag == "a"]
    assert hrefs == [href for _, href in expected_links()]


def raw_urls(text: str) -> list[str]:
    """What looks like an address in visible text: a scheme, www., or a host with a path."""
    return re.findall(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+|[\w.-]+\.[a-z]{2,}/\S*", text, re.I)


def test_showcase_as_seen_in_chromium(tmp_path: Path) -> None:
    browser.require_chromium()
    html = showcase_email()
    for width in browser.WIDTHS:
        seen = browser.look(html, width)
        shot = browser.screenshot(html, width, tmp_path / f"email-{width}.png", height=seen.height)
        assert browser.png_size(shot.read_bytes()) == (width, seen.height)
        assert seen.width == width and not seen.dark
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert seen.scroll_width <= width and seen.overflowing == [], seen.overflowing
        assert seen.links == expected_links()
        assert seen.marks == expected_marks()
        assert [url for url in raw_urls(seen.text) if len(url) > LONGEST_VISIBLE_URL] == []
        assert seen.low_contrast == [], seen.low_contrast
        lines = seen.text.split("\n")
        assert lines[0] == "putin-visit · Putin visit · 3 new stories"
        assert "courier · 2026-11-30 11:12 +03" in lines
        assert "Also on: ledger, gazette" in lines
        assert lines[-3:] == ["Query: Putin visit",
                              'Try changes: newswatch watch test "Putin visit" --since 7d',
                              "This watch: watches[0] in newswatch.yaml"]
        # The snippet repeats a headline only for the story matched in its headline alone.
        wire, long, headline_only = (item.headline for item in showcase().items[1:] + (
            showcase().items[0],))
        assert [lines.count(h) for h in (wire, long, headline_only)] == [1, 1, 2]


def test_showcase_in_the_dark_theme(tmp_path: Path) -> None:
    browser.require_chromium()
    seen = browser.look(showcase_email(), 360, dark=True)
    assert seen.dark
    assert seen.low_contrast == [], seen.low_contrast
    assert seen.overflowing == [] and seen.marks == expected_marks()


def test_readme_shows_the_showcase_pictures() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    for name, width, _ in browser.SHOTS:
        assert f"(docs/{name})" in readme, name
        picture = (DOCS / name).read_bytes()
        assert browser.png_size(picture)[0] == width, name


@pytest.mark.parametrize("dark", [False, True])
def test_a_message_wider_than_the_screen_is_caught(dark: bool) -> None:
    """The checks above can fail: a raw long address and a faint colour are seen."""
    browser.require_chromium()
    url = "https://example.com/" + "x" * 70
    # Grey on white, or (in a message that offers a dark theme) dark grey on black.
    html = ('<meta name="color-scheme" content="light dark">' if dark else "") + (
        f'<div style="width:500px">{url}</div>'
        f'<div style="color:#{"555555" if dark else "777777"}">faint</div>')
    seen = browser.look(html, 360, dark=dark)
    assert seen.scroll_width > 360 and seen.overflowing
    assert raw_urls(seen.text) == [url]
    assert [line.split(": ")[1] for line in seen.low_contrast] == ["faint"]
