"""What every format says: cleaned stories, the header and footer facts, times, commands."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta, timezone

import pytest

from alerts.digest import Copy, Digest, DigestItem, WatchInfo, render
from alerts.digest_content import (
    MAX_COPIES_SHOWN,
    Entry,
    Heading,
    local_time,
    shell_quote,
)

WATCH = WatchInfo(name="putin-visit", query='"Putin visit" -Ukraine', index=3, config="w.yaml")


@pytest.mark.parametrize(
    ("query", "quoted"),
    [
        ("Putin visit", '"Putin visit"'),
        ('"Putin visit" OR Xi', "'\"Putin visit\" OR Xi'"),
        ("it's $5 `x` !", "'it'\"'\"'s $5 `x` !'"),
        ("Türkiye", '"Türkiye"'),
    ],
)
def test_shell_quote_gives_one_word(query: str, quoted: str) -> None:
    assert shell_quote(query) == quoted
    assert shlex.split(f"newswatch watch test {quoted}")[-1] == query


def test_heading_of_a_part() -> None:
    heading = Heading.of(WATCH, count=23, part=2, parts=3, remaining=3)
    assert heading.stories == "23 new stories"
    assert heading.part_label == "part 2 of 3"
    assert heading.more == "… and 3 more stories in the next message"
    assert not heading.last
    assert heading.try_command == (
        "newswatch watch test '\"Putin visit\" -Ukraine' --since 7d")
    assert heading.where == "watches[3] in w.yaml"
    one = Heading.of(WatchInfo(name="w\nx"), count=1, part=1, parts=1, remaining=0)
    assert (one.watch, one.stories, one.part_label, one.more, one.last) == (
        "w x", "1 new story", "", "", True)
    assert (one.try_command, one.where) == ("", "")


def test_times_are_shown_in_the_watchs_zone() -> None:
    istanbul = timezone(timedelta(hours=3))
    assert local_time(datetime(2026, 11, 30, 8, 12, tzinfo=UTC), istanbul) == (
        "2026-11-30 11:12 UTC+03:00")
    assert local_time(datetime(2026, 11, 30, 8, 12), UTC) == "2026-11-30 08:12 UTC"  # naive: UTC
    assert local_time(None, UTC) == ""


def test_an_entry_lists_five_copies_and_counts_the_rest() -> None:
    copies = tuple(Copy(f"site{n}", f"https://site{n}.example/") for n in range(8))
    item = DigestItem(headline="", site="s\n", url="https://news.example/a", published=None,
                      snippet="", also_on=(*copies, Copy("\u200b"), Copy("x", "ftp://x")))
    entry = Entry.of(item, UTC, None)
    assert [c.site for c in entry.copies] == [f"site{n}" for n in range(MAX_COPIES_SHOWN)]
    assert entry.more_copies == 4  # three listed beyond five, and "x" (without its link)
    assert entry.headline == [("news.example", False)]  # no headline: the address names it
    assert entry.site == "s" and entry.meta == "s"


def test_header_and_footer_give_way_to_the_stories_in_a_small_message() -> None:
    item = DigestItem(headline="H", site="S", url="https://s.example/", published=None,
                      snippet="x")
    huge = WatchInfo(name="w", query="word " * 100, index=0, config="newswatch.yaml")
    [message] = render(Digest(watch=huge, items=(item,)), "slack", max_chars=500)
    assert len(message.body) <= 500
    assert message.body == "*<https://s.example/|H>*\nS\n> x"
