"""Rendering digests: exact output per style, ordering, splitting, and untrusted text."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apprise import NotifyFormat
from apprise.conversion import convert_between
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.digest import (
    DEFAULT_MAX_CHARS,
    STYLES,
    Copy,
    Digest,
    DigestItem,
    Message,
    WatchInfo,
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
    also_on=(Copy("BBC", "https://bbc.example/x?y=1&z=2"), Copy("DW")),  # no URL: no link
)
# Naive time (taken as UTC), and a URL that must not become a link.
OLDER = DigestItem(
    headline="Older story",
    site="BBC",
    url="ftp://bbc.example/x",
    published=datetime(2024, 5, 1, 8, 0),
    snippet="Nothing matched here.",
)
DIGEST = Digest(watch=WatchInfo(name="putin-visit"), items=(OLDER, LE_MONDE))
TITLE = "putin-visit: 2 new stories"
MARK = "background-color:#fde68a;color:#1f2937;font-weight:bold;padding:0 2px"


def test_slack() -> None:
    assert render(DIGEST, "slack", tz=CEST) == [
        Message(
            TITLE,
            "*<https://lemonde.example/a?b=1&amp;c=2|Putin lands in Paris>*\n"
            "Le Monde · 2024-05-01 14:03 CEST\n"
            "> President *Putin* arrived in *Paris* on Monday.\n"
            "Also on: <https://bbc.example/x?y=1&amp;z=2|BBC>, DW\n"
            "\n"
            "*Older story*\n"
            "BBC · 2024-05-01 10:00 CEST\n"
            "> Nothing matched here.",
            "markdown",
            (1, 0),
        )
    ]


def test_email() -> None:
    [message] = render(DIGEST, "email", tz=CEST)
    assert (message.title, message.body_format, message.items) == (TITLE, "html", (1, 0))
    stories = message.body.split('<div style="margin:0 0 22px 0">\n')[1:]
    assert stories[0] == (
        '<div style="font-size:17px;line-height:1.3;font-weight:bold">'
        '<a href="https://lemonde.example/a?b=1&amp;c=2" style="text-decoration:none">'
        "Putin lands in Paris</a></div>\n"
        '<div style="font-size:13px;line-height:1.4;opacity:0.72;margin:2px 0 0 0">'
        "Le Monde · 2024-05-01 14:03 CEST</div>\n"
        f'<div style="margin:4px 0 0 0">President <b style="{MARK}">Putin</b> arrived in '
        f'<b style="{MARK}">Paris</b> on Monday.</div>\n'
        '<div style="font-size:13px;line-height:1.4;margin:4px 0 0 0">'
        '<span style="opacity:0.72">Also on:</span> '
        '<a href="https://bbc.example/x?y=1&amp;z=2">BBC</a>, DW</div>\n'
        "</div>\n"
    )
    assert stories[1].startswith(
        '<div style="font-size:17px;line-height:1.3;font-weight:bold">Older story</div>\n')
    assert message.text == (
        "putin-visit · 2 new stories\n"
        "\n"
        "Putin lands in Paris\n"
        "https://lemonde.example/a?b=1&c=2\n"
        "Le Monde · 2024-05-01 14:03 CEST\n"
        "President *Putin* arrived in *Paris* on Monday.\n"
        "Also on: BBC <https://bbc.example/x?y=1&z=2>, DW\n"
        "\n"
        "Older story\n"
        "BBC · 2024-05-01 10:00 CEST\n"
        "Nothing matched here."
    )


def test_markdown() -> None:
    assert render(DIGEST, "markdown", tz=CEST) == [
        Message(
            TITLE,
            "**[Putin lands in Paris](<https://lemonde.example/a?b=1&c=2>)**\n"
            "Le Monde · 2024\\-05\\-01 14:03 CEST\n"
            "President **Putin** arrived in **Paris** on Monday\\.\n"
            "Also on: [BBC](<https://bbc.example/x?y=1&z=2>), DW\n"
            "\n"
            "**Older story**\n"
            "BBC · 2024\\-05\\-01 10:00 CEST\n"
            "Nothing matched here\\.",
            "markdown",
            (1, 0),
        )
    ]


TEXT_BODY = (
    "Putin lands in Paris\n"
    "https://lemonde.example/a?b=1&c=2\n"
    "Le Monde · 2024-05-01 14:03 CEST\n"
    "President *Putin* arrived in *Paris* on Monday.\n"
    "Also on: BBC <https://bbc.example/x?y=1&z=2>, DW\n"
    "\n"
    "Older story\n"
    "BBC · 2024-05-01 10:00 CEST\n"
    "Nothing matched here."
)


def test_text() -> None:
    assert render(DIGEST, "text", tz=CEST) == [Message(TITLE, TEXT_BODY, "text", (1, 0))]


def test_json_is_the_text_with_the_digest_as_data() -> None:
    [message] = render(DIGEST, "json", tz=CEST)
    assert (message.body, message.body_format, message.items) == (TEXT_BODY, "text", (1, 0))
    assert [story["headline"] for story in message.data["stories"]] == [
        "Putin lands in Paris", "Older story"]
    assert all(m.data is None for style in STYLES if style != "json"
               for m in render(DIGEST, style))


def test_one_story_title_and_unknown_time() -> None:
    item = DigestItem(headline="H", site="S", url="https://s.example/", published=None,
                      snippet="x")
    [message] = render(Digest(watch=WatchInfo(name="w"), items=(item,)), "text")
    assert message.title == "w: 1 new story"
    assert message.body == "H\nhttps://s.example/\nS\nx"


def test_long_watch_name_is_shortened_in_the_title() -> None:
    [message] = render(Digest(watch=WatchInfo(name="w" * 300), items=(LE_MONDE,)), "slack")
    assert message.title == "w" * 99 + "…: 1 new story"


def test_empty_digest_gives_no_message() -> None:
    assert render(Digest(watch=WatchInfo(name="w"), items=()), "slack") == []


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
    [message] = render(Digest(watch=WatchInfo(name="w"), items=items), "text", tz=UTC)
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
    [message] = render(Digest(watch=WatchInfo(name="w"), items=(far, LE_MONDE)), style, tz=zone)
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
    digest = Digest(watch=WatchInfo(name="w"), items=many_items(30))
    limit = 4000 if style == "email" else 1000  # an HTML email's frame alone takes 1000
    messages = render(digest, style, max_chars=limit)
    assert len(messages) > 1
    total = len(messages)
    assert [m.title for m in messages] == [f"w: 30 new stories ({i}/{total})"
                                           for i in range(1, total + 1)]
    assert all(len(m.body) <= limit for m in messages)
    # Every story exactly once, newest first, across the parts.
    found = re.findall(r"Story number (\d+)", "".join(m.body for m in messages))
    assert found == [str(n) for n in range(29, -1, -1)]


def test_default_limit_per_style() -> None:
    digest = Digest(watch=WatchInfo(name="w"), items=many_items(40))
    for style in STYLES:
        messages = render(digest, style)
        assert all(len(m.body) <= DEFAULT_MAX_CHARS[style] for m in messages)
    assert len(render(digest, "slack")) > 1
    assert len(render(digest, "email")) == 1


def test_oversized_story_is_shortened_visibly_not_dropped() -> None:
    item = many_items(1, snippet_words=2000)[0]
    [message] = render(Digest(watch=WatchInfo(name="w"), items=(item,)), "slack", max_chars=600)
    assert len(message.body) <= 600
    assert message.body.startswith("*<https://site.example/0|Story number 0>*\n")
    assert "*word*" in message.body and message.body.endswith(" …")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"style must be one of .* \(got 'sms'\)"):
        render(DIGEST, "sms")
    with pytest.raises(ValueError, match=r"max_chars must be at least 300 for text \(got 10\)"):
        render(DIGEST, "text", max_chars=10)
    with pytest.raises(ValueError, match=r"at least 3000 for email \(got 2000\)"):
        render(DIGEST, "email", max_chars=2000)


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
        ("json://host/path", "json"),
        ("jsons://host/path", "json"),
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
    [message] = render(Digest(watch=WatchInfo(name="w\r\nBcc: x@y"), items=(item,)), "text")
    assert message.title == "w Bcc: x@y: 1 new story"
    assert message.body.split("\n") == [
        "Subject Bcc: x@y.example next[31m red",
        "https://s.example/a%20b",
        "Site",
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


# What this module's own email markup is made of; scraped text may add nothing to it.
EMAIL_TAGS = {"html", "head", "meta", "title", "body", "div", "a", "b", "span", "i"}
EMAIL_ATTRIBUTES = {"style", "href", "charset", "name", "content"}


@functools.cache
def email_styles() -> set[str | None]:
    """Every style attribute a digest of ordinary text has."""
    copy = Copy("Copy site", "https://ok.example/copy")
    item = DigestItem(headline="H", site="S", url="https://ok.example/x", published=None,
                      snippet="a b", marks=((0, 1),), also_on=(copy,))
    digest = Digest(watch=WatchInfo(name="w", query="q", index=0), items=(item,) * 12)
    bodies = [m.body for m in render(digest, "email", max_chars=4000)]
    return {attrs.get("style") for body in bodies for _, attrs in html_elements(body)}


def assert_only_our_email_markup(body: str, links: set[str], styles: set[str | None]) -> None:
    for tag, attrs in html_elements(body):
        assert tag in EMAIL_TAGS, tag
        assert set(attrs) <= EMAIL_ATTRIBUTES, attrs
        assert attrs.get("href", next(iter(links))) in links, attrs
        assert attrs.get("style") in styles, attrs


@settings(max_examples=150, deadline=None)
@given(headline=_ANY_TEXT, snippet=_ANY_TEXT, site=_ANY_TEXT, data=st.data())
def test_any_scraped_text_stays_inert(headline: str, snippet: str, site: str, data) -> None:
    start = data.draw(st.integers(-2, len(snippet) + 2))
    end = data.draw(st.integers(-2, len(snippet) + 2))
    copy = Copy(site, "https://ok.example/copy")
    item = DigestItem(headline=headline, site=site, url="https://ok.example/x",
                      published=None, snippet=snippet, marks=((start, end),), also_on=(copy,))
    digest = Digest(watch=WatchInfo(name="w", query="q", index=0), items=(item,))
    links = {"https://ok.example/x", "https://ok.example/copy"}

    [slack] = render(digest, "slack")
    # Only our links, then only our quote marks: nothing else may be Slack markup.
    assert set(re.findall(r"<([^<>|]*)\|[^<>]*>", slack.body)) <= links
    rest = re.sub(r"<https://ok\.example/(x|copy)\|[^<>]*>", "", slack.body)
    rest = re.sub(r"^> ", "", rest, flags=re.MULTILINE)
    assert "<" not in rest and ">" not in rest, rest
    assert re.search(r"&(?!amp;|lt;|gt;)", rest) is None
    [email] = render(digest, "email")
    assert_only_our_email_markup(email.body, links, email_styles())
    [markdown] = render(digest, "markdown")
    # As Apprise renders Markdown for services that take HTML.
    for tag, attrs in html_elements(convert_between(NotifyFormat.MARKDOWN, NotifyFormat.HTML,
                                                    markdown.body)):
        assert tag in ("p", "br", "strong", "em", "a", "blockquote", "code"), tag
        assert attrs.get("href", "https://ok.example/x") in links, attrs
    for style in STYLES:
        [message] = render(digest, style)
        for text in (message.body, message.text):
            assert "\r" not in text and "\u2028" not in text
            assert re.search(r"(?<!\w)@\w", text) is None
        assert "\n" not in message.title
