"""The digest as data for webhooks: every field, cleaned, with marks that point at the words."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alerts.digest import Copy, Digest, DigestItem, WatchInfo, render
from tests.alerts.showcase import WIRE_COPIES, ZONE, showcase


def test_showcase() -> None:
    [message] = render(showcase(), "json", tz=ZONE)
    data = json.loads(json.dumps(message.data))  # what a webhook receives
    assert data["watch"] == {"name": "putin-visit", "query": "Putin visit",
                             "config_key": "watches[0]", "config_file": "newswatch.yaml"}
    assert (data["count"], data["part"], data["parts"]) == (3, 1, 1)
    assert data["try_command"] == 'newswatch watch test "Putin visit" --since 7d'
    wire, long, headline_only = data["stories"]
    assert wire == {
        "headline": "Putin to visit China next month, Kremlin says",
        "url": "https://courier.example/world/"
               "putin-to-visit-china-next-month-kremlin-says-20417.html",
        "site": "courier",
        "published": "2026-11-30T11:12:00+03:00",
        "snippet": "MOSCOW (Wire) — Russian President Vladimir Putin will visit China next "
                   "month for talks with President Xi Jinping, the Kremlin said on Tuesday, in "
                   "what would be his second trip to Beijing this year.",
        "marks": [[43, 48], [54, 59]],
        "also_on": [{"site": copy.site, "url": copy.url} for copy in WIRE_COPIES],
    }
    assert long["headline"].startswith("Kremlin says Putin's planned state visit")
    assert headline_only["snippet"] == headline_only["headline"]
    for story in data["stories"]:
        assert [story["snippet"][a:b] for a, b in story["marks"]] in (
            [["Putin", "visit"]] * 2 + [["Putin's", "visit"]])


def test_scraped_text_is_cleaned_and_marks_follow_it() -> None:
    item = DigestItem(
        headline="Line\r\nbreak\x1b[2J @here", site="\u202eSite", url="javascript:alert(1)",
        published=datetime(9999, 12, 31, 10, tzinfo=UTC), snippet="  a\n\n  @channel  HIT b",
        marks=((17, 20),), also_on=(Copy("@everyone", "https://x.example/a b"), Copy("bare")),
    )
    [message] = render(Digest(watch=WatchInfo(name="w"), items=(item,)), "json", tz=UTC)
    [story] = message.data["stories"]
    zw = "\u200b"
    assert story["headline"] == f"Line break[2J @{zw}here"
    assert (story["site"], story["url"]) == ("Site", None)
    assert story["snippet"] == f"a @{zw}channel HIT b"
    assert [story["snippet"][a:b] for a, b in story["marks"]] == ["HIT"]
    assert story["also_on"] == [{"site": f"@{zw}everyone", "url": "https://x.example/a%20b"},
                                {"site": "bare", "url": None}]
    assert story["published"] == "9999-12-31T10:00:00+00:00"
    assert message.data["watch"] == {"name": "w", "query": "", "config_key": None,
                                     "config_file": None}
    assert message.data["try_command"] is None
