"""Rendering digests: exact output per style, ordering, splitting, and untrusted text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.digest import (
    DEFAULT_MAX_CHARS,
    STYLES,
    Digest,
    DigestItem,
    Message,
    render,
    style_for,
)
from alerts.safetext import ZERO_WIDTH_SPACE, clip, runs, safe_url
from tests.alerts.receivers import html_elements

CEST = timezone(timedelta(hours=2), "CEST")

LE_MONDE = DigestItem(
    headline="Putin lands in Paris",
    site="Le Monde",
    url="https://lemonde.example/a?b=1&c=2",
    published=datetime(2024, 5, 1, 12, 3, tzinfo=UTC),
    snippet="President Putin arrived in Paris on Monday.",
    marks=((10, 15), (27, 32)),
    also_on=("BBC", "DW"),
)
# Naive time (taken as UTC), and a URL that must not become a link.
OLDER = DigestItem(
    headline="Older story",
    site="BBC",
    url="ftp://bbc.example/x",
    published=datetime(2024, 5, 1, 8, 0),
    snippet="Nothing matched here.",
)
DIGEST = Digest(watch="putin-visit", items=(OLDER, LE_MONDE))
TITLE = "putin-visit: 2 new stories"


def test_slack() -> None:
    assert render(DIGEST, "slack", tz=CEST) == [
        Message(
            TITLE,
            "*Putin lands in Paris*\n"
            "Le Monde · also on: BBC, DW · 2024-05-01 14:03 CEST\n"
            "<https://lemonde.example/a?b=1&amp;c=2|Read on lemonde.example>\n"
            "President *Putin* arrived in *Paris* on Monday.\n"
            "\n"
            "*Older story*\n"
            "BBC · 2024-05-01 10:00 CEST\n"
            "Nothing matched here.",
            "markdown",
            (1, 0),
        )
    ]


def test_email() -> None:
    assert render(DIGEST, "email", tz=CEST) == [
        Message(
            TITLE,
            '<div style="font-family:sans-serif">\n'
            '<div style="margin:0 0 16px 0">\n'
            '<div style="font-size:16px"><b>Putin lands in Paris</b></div>\n'
            '<div style="color:#555555;font-size:13px">'
            "Le Monde · also on: BBC, DW · 2024-05-01 14:03 CEST</div>\n"
            '<div><a href="https://lemonde.example/a?b=1&amp;c=2">'
            "https://lemonde.example/a?b=1&amp;c=2</a></div>\n"
            "<div>President <mark><b>Putin</b></mark> arrived in <mark><b>Paris</b></mark>"
            " on Monday.</div>\n"
            "</div>\n"
            '<div style="margin:0 0 16px 0">\n'
            '<div style="font-size:16px"><b>Older story</b></div>\n'
            '<div style="color:#555555;font-size:13px">BBC · 2024-05-01 10:00 CEST</div>\n'
            "<div>Nothing matched here.</div>\n"
            "</div>\n"
            "</div>",
            "html",
            (1, 0),
        )
    ]


def test_markdown() -> None:
    assert render(DIGEST, "markdown", tz=CEST) == [
        Message(
            TITLE,
            "**Putin lands in Paris**\n"
            "Le Monde · also on: BBC, DW · 2024\\-05\\-01 14:03 CEST\n"
            "[Read on lemonde\\.example](<https://lemonde.example/a?b=1&c=2>)\n"
            "President **Putin** arrived in **Paris** on Monday\\.\n"
            "\n"
            "**Older story**\n"
            "BBC · 2024\\-05\\-01 10:00 CEST\n"
            "Nothing matched here\\.",
            "markdown",
            (1, 0),
        )
    ]


def test_text() -> None:
    assert render(DIGEST, "text", tz=CEST) == [
        Message(
            TITLE,
            "Putin lands in Paris\n"
            "Le Monde · also on: BBC, DW · 2024-05-01 14:03 CEST\n"
            "https://lemonde.example/a?b=1&c=2\n"
            "President *Putin* arrived in *Paris* on Monday.\n"
            "\n"
            "Older story\n"
            "BBC · 2024-05-01 10:00 CEST\n"
            "Nothing matched here.",
            "text",
            (1, 0),
        )
    ]


def test_one_story_title_and_unknown_time() -> None:
    item = DigestItem(headline="H", site="S", url="https://s.example/", published=None,
                      snippet="x")
    [message] = render(Digest(watch="w", items=(item,)), "text")
    assert message.title == "w: 1 new story"
    assert message.body == "H\nS\nhttps://s.example/\nx"


def test_long_watch_name_is_shortened_in_the_title() -> None:
    [message] = render(Digest(watch="w" * 300, items=(LE_MONDE,)), "slack")
    assert message.title == "w" * 99 + "…: 1 new story"


def test_empty_digest_gives_no_message() -> None:
    assert render(Digest(watch="w", items=()), "slack") == []


def test_newest_first_and_undated_last() -> None:
    def item(name: str, when: datetime | None) -> DigestItem:
        return DigestItem(headline=name, site="s", url="https://s.example/", published=when,
                          snippet="")

    items = (
        item("undated", None),
        item("old", datetime(2024, 1, 1, tzinfo=UTC)),
        item("naive-new", datetime(2024, 3, 1, 12, 0)),
        item("aware-mid", datetime(2024, 3, 1, 13, 0, tzinfo=CEST)),  # 11:00 UTC
    )
    [message] = render(Digest(watch="w", items=items), "text", tz=UTC)
    headlines = [block.split("\n")[0] for block in message.body.split("\n\n")]
    assert headlines == ["naive-new", "aware-mid", "old", "undated"]


@pytest.mark.parametrize(("zone", "stored", "shown"), [
    # East of UTC, year 9999 ends before UTC's does; west of it, year 1 begins later.
    (ZoneInfo("Asia/Tokyo"), datetime(9999, 12, 31, 23, 30, tzinfo=UTC), "9999-12-31 23:30 UTC"),
    (ZoneInfo("Europe/Istanbul"), datetime(9999, 12, 31, 23, 30), "9999-12-31 23:30 UTC"),
    (ZoneInfo("America/New_York"), datetime(1, 1, 1, 0, 10, tzinfo=UTC), "0001-01-01 00:10 UTC"),
    (ZoneInfo("Asia/Tokyo"), datetime(9999, 12, 31, 10, 0, tzinfo=UTC), "9999-12-31 19:00 JST"),
    (None, datetime(9999, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
     "9999-12-31 23:30 UTC-05:00"),
])
@pytest.mark.parametrize("style", STYLES)
def test_any_stored_time_renders_in_any_zone(zone, stored, shown, style) -> None:
    far = DigestItem(headline="Far", site="s", url="https://s.example/far", published=stored,
                     snippet="")
    [message] = render(Digest(watch="w", items=(far, LE_MONDE)), style, tz=zone)
    assert f"s · {shown}" in message.body.replace("\\-", "-")  # Markdown escapes "-"
    assert "Putin lands in Paris" in message.body


def many_items(count: int, snippet_words: int = 40) -> tuple[DigestItem, ...]:
    return tuple(
        DigestItem(
            headline=f"Story number {n}",
            site="site",
            url=f"https://site.example/{n}",
            published=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            snippet=" ".join(["word"] * snippet_words),
            marks=((0, 4),),
        )
        for n in range(count)
    )


@pytest.mark.parametrize("style", STYLES)
def test_long_digest_is_split_into_numbered_parts(style: str) -> None:
    digest = Digest(watch="w", items=many_items(30))
    messages = render(digest, style, max_chars=1000)
    assert len(messages) > 1
    total = len(messages)
    assert [m.title for m in messages] == [f"w: 30 new stories ({i}/{total})"
                                           for i in range(1, total + 1)]
    assert all(len(m.body) <= 1000 for m in messages)
    # Every story exactly once, newest first, across the parts.
    found = re.findall(r"Story number (\d+)", "".join(m.body for m in messages))
    assert found == [str(n) for n in range(29, -1, -1)]


def test_default_limit_per_style() -> None:
    digest = Digest(watch="w", items=many_items(40))
    for style in STYLES:
        messages = render(digest, style)
        assert all(len(m.body) <= DEFAULT_MAX_CHARS[style] for m in messages)
    assert len(render(digest, "slack")) > 1
    assert len(render(digest, "email")) == 1


def test_oversized_story_is_shortened_visibly_not_dropped() -> None:
    item = many_items(1, snippet_words=2000)[0]
    [message] = render(Digest(watch="w", items=(item,)), "slack", max_chars=600)
    assert len(message.body) <= 600
    assert message.body.startswith("*Story number 0*\n")
    assert "*word*" in message.body and message.body.endswith(" …")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"style must be one of .* \(got 'sms'\)"):
        render(DIGEST, "sms")
    with pytest.raises(ValueError, match=r"max_chars must be at least 300 \(got 10\)"):
        render(DIGEST, "text", max_chars=10)


@pytest.mark.parametrize(
    ("url", "style"),
    [
        ("slack://T1/B2/c3", "slack"),
        ("SLACK://T1/B2/c3", "slack"),
        ("https://hooks.slack.com/services/T1/B2/c3", "slack"),
        ("mailto://user:pw@example.com", "email"),
        ("mailtos://user:pw@example.com", "email"),
        ("sendgrid://key:from@example.com", "email"),
        ("discord://1/abc", "markdown"),
        ("https://discord.com/api/webhooks/1/abc", "markdown"),
        ("tgram://bot/chat", "markdown"),
        ("mmost://host/token", "markdown"),
        ("json://host/path", "text"),
        ("form://host/path", "text"),
        ("xml://host/path", "text"),
        ("console://", "text"),
        ("ntfy://topic", "text"),
        ("https://example.com/hook", "text"),
        ("not a url", "text"),
    ],
)
def test_style_for(url: str, style: str) -> None:
    assert style_for(url) == style


# -- untrusted text -------------------------------------------------------------------------


def test_line_breaks_and_invisible_characters_are_cleaned() -> None:
    item = DigestItem(
        headline="Subject\r\nBcc: x@y.example\u2028next\x1b[31m red\u202e\u200b",
        site="Site\n",
        url=" https://s.example/a b ",
        published=None,
        snippet="  one\ttwo\r\n\r\nthree  ",
        marks=((2, 5),),
    )
    [message] = render(Digest(watch="w\r\nBcc: x@y", items=(item,)), "text")
    assert message.title == "w Bcc: x@y: 1 new story"
    assert message.body.split("\n") == [
        "Subject Bcc: x@y.example next[31m red",
        "Site",
        "https://s.example/a%20b",
        "*one* two three",
    ]


def test_mentions_are_defused() -> None:
    pieces = runs("@here, @channel and mail@example.com @\u200beveryone", defuse_mentions=True)
    text = "".join(p for p, _ in pieces)
    zw = ZERO_WIDTH_SPACE
    assert text == f"@{zw}here, @{zw}channel and mail@example.com @{zw}everyone"


def test_marks_out_of_range_are_ignored() -> None:
    assert runs("abc", ((-5, 1), (2, 99), (3, 1))) == [("a", True), ("b", False), ("c", True)]


def test_a_space_stays_inside_a_highlighted_phrase() -> None:
    assert runs("see Vladimir  Putin now", ((4, 19),)) == [
        ("see ", False), ("Vladimir Putin", True), (" now", False)
    ]


def test_clip_keeps_the_first_mark_in_view() -> None:
    pieces = runs("a" * 100 + "HIT" + "b" * 100, ((100, 103),))
    assert clip(pieces, 40) == [("… ", False), ("a" * 10, False), ("HIT", True),
                                ("b" * 27, False), (" …", False)]


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com/a?b=1&c=2#f", "https://example.com/a?b=1&c=2#f"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://user:pw@example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/a|b>c<d\"e'f`g", "https://example.com/a%7Cb%3Ec%3Cd%22e'f%60g"),
        ("https://bücher.example/ä", "https://xn--bcher-kva.example/%C3%A4"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt://example.com/%0aalert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.com/x", None),
        ("/relative", None),
        ("https:///nohost", None),
        ("https://example.com/\nx", None),
        ("https://example.com:99999/", None),
    ],
)
def test_safe_url(url: str, safe: str | None) -> None:
    assert safe_url(url) == safe


_ANY_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from("<>&|*_[]()!@#\r\n\u2028\u202e\u200b")),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(headline=_ANY_TEXT, snippet=_ANY_TEXT, site=_ANY_TEXT, data=st.data())
def test_any_scraped_text_stays_inert(headline: str, snippet: str, site: str, data) -> None:
    start = data.draw(st.integers(-2, len(snippet) + 2))
    end = data.draw(st.integers(-2, len(snippet) + 2))
    item = DigestItem(headline=headline, site=site, url="https://ok.example/x",
                      published=None, snippet=snippet, marks=((start, end),))
    digest = Digest(watch="w", items=(item,))

    [slack] = render(digest, "slack")
    body = slack.body.replace("<https://ok.example/x|Read on ok.example>", "")
    assert "<" not in body and ">" not in body
    assert re.search(r"&(?!amp;|lt;|gt;)", body) is None
    [email] = render(digest, "email")
    for tag, attrs in html_elements(email.body):
        assert tag in ("div", "b", "mark", "a")
        assert set(attrs) <= {"style", "href"}
        assert attrs.get("href", "https://ok.example/x") == "https://ok.example/x"
    for style in STYLES:
        [message] = render(digest, style)
        assert "\r" not in message.body and "\u2028" not in message.body
        assert "\n" not in message.title
        assert re.search(r"(?<!\w)@\w", message.body) is None
