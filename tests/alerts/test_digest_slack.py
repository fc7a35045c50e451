"""Slack mrkdwn: the showcase digest as Slack shows it, ten stories a message at most."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.digest import Copy, Digest, DigestItem, WatchInfo, render
from alerts.digest_slack import MAX_STORIES
from tests.alerts.showcase import ZONE, showcase

SHOWCASE = """\
Query: `Putin visit`

*<https://courier.example/world/putin-to-visit-china-next-month-kremlin-says-20417.html|Putin to visit China next month, Kremlin says>*
courier · 2026-11-30 11:12 +03
> MOSCOW (Wire) — Russian President Vladimir *Putin* will *visit* China next month for talks with President Xi Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing this year.
Also on: <https://ledger.example/news/88412/kremlin-confirms-putin-trip-to-beijing|ledger>, <https://www.gazette.example/international/asia/2026/11/30/kremlin-putin-beijing-trip-confirmed?ref=rss&amp;utm_source=feed|gazette>

*<https://www.gazette.example/international/europe/2026/11/30/kremlin-putin-state-visit-beijing-sanctions-tariffs-pipeline-route-dispute-analysis.html?ref=rss|Kremlin says Putin's planned state visit to Beijing will go ahead as scheduled despite fresh Western sanctions, new tariff threats and a dispute over the route of the Power of Siberia 2 gas pipeline>*
gazette · 2026-11-30 09:45 +03
> *Putin's* *visit*, they said, would include a signing ceremony for long-delayed energy agreements and a meeting with business leaders in Shanghai.

*<https://ledger.example/news/88431/grain-corridor-talks-istanbul|Putin to visit Istanbul for talks on the grain corridor>*
ledger · 2026-11-30 06:20 +03
> *Putin* to *visit* Istanbul for talks on the grain corridor

Try changes: `newswatch watch test "Putin visit" --since 7d`
This watch: `watches[0]` in newswatch.yaml"""  # noqa: E501 (one Slack line per story line)


def test_showcase() -> None:
    [message] = render(showcase(), "slack", tz=ZONE)
    assert message.title == "putin-visit: 3 new stories"
    assert message.body_format == "markdown"
    assert message.body == SHOWCASE


def short_items(count: int) -> tuple[DigestItem, ...]:
    start = datetime(2026, 11, 30, tzinfo=UTC)
    return tuple(
        DigestItem(headline=f"Story {n}", site="s", url=f"https://s.example/{n}",
                   published=start + timedelta(minutes=n), snippet="x")
        for n in range(count)
    )


def test_at_most_ten_stories_a_message_then_and_n_more() -> None:
    digest = Digest(watch=WatchInfo(name="w", query="q", index=2), items=short_items(23))
    messages = render(digest, "slack", tz=UTC)
    stories = [re.findall(r"\|Story (\d+)>", m.body) for m in messages]
    assert [len(found) for found in stories] == [MAX_STORIES, MAX_STORIES, 3]
    assert [int(n) for found in stories for n in found] == list(range(22, -1, -1))
    assert [m.title for m in messages] == [f"w: 23 new stories ({n}/3)" for n in (1, 2, 3)]
    assert messages[0].body.endswith("\n\n_… and 13 more stories in the next 2 messages_")
    assert messages[1].body.endswith("\n\n_… and 3 more stories in the next message_")
    assert all(m.body.startswith("Query: `q`\n\n") for m in messages)
    # The footer closes the last part only.
    assert ["This watch: `watches[2]`" in m.body for m in messages] == [False, False, True]


def test_ten_stories_fit_in_one_message() -> None:
    [message] = render(Digest(watch=WatchInfo(name="w"), items=short_items(MAX_STORIES)), "slack")
    assert "more stories" not in message.body


def test_a_story_without_a_usable_link_and_copies_beyond_five() -> None:
    copies = tuple(Copy(f"site{n}", f"https://site{n}.example/a") for n in range(7))
    item = DigestItem(headline="Odd <b> & co", site="s", url="javascript:alert(1)",
                      published=None, snippet="", also_on=(*copies, Copy("bare")))
    [message] = render(Digest(watch=WatchInfo(name="w"), items=(item,)), "slack")
    headline, site, also_on = message.body.split("\n")
    assert (headline, site) == ("*Odd &lt;b&gt; &amp; co*", "s")
    assert also_on == ("Also on: " + ", ".join(
        f"<https://site{n}.example/a|site{n}>" for n in range(5)) + " and 3 more sites")


def test_a_query_with_a_backquote_is_not_code() -> None:
    digest = Digest(watch=WatchInfo(name="w", query="a`b <c>"), items=short_items(1))
    [message] = render(digest, "slack")
    assert message.body.startswith("Query: a`b &lt;c&gt;\n\n")
    assert "Try changes: newswatch watch test \"a`b &lt;c&gt;\" --since 7d" not in message.body
    assert "Try changes: newswatch watch test 'a`b &lt;c&gt;' --since 7d" in message.body


def test_the_readme_shows_this_slack_text() -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    assert f"```text\n{SHOWCASE}\n```" in readme.read_text(encoding="utf-8")
