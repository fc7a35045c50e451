"""Plain text: the showcase digest for the console and webhooks, and as an email's text part."""

from __future__ import annotations

from alerts.digest import render
from tests.alerts.showcase import ZONE, showcase

STORIES = """\
Putin to visit China next month, Kremlin says
https://courier.example/world/putin-to-visit-china-next-month-kremlin-says-20417.html
courier · 2026-11-30 11:12 +03
MOSCOW (Wire) — Russian President Vladimir *Putin* will *visit* China next month for talks with President Xi Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing this year.
Also on: ledger <https://ledger.example/news/88412/kremlin-confirms-putin-trip-to-beijing>, gazette <https://www.gazette.example/international/asia/2026/11/30/kremlin-putin-beijing-trip-confirmed?ref=rss&utm_source=feed>

Kremlin says Putin's planned state visit to Beijing will go ahead as scheduled despite fresh Western sanctions, new tariff threats and a dispute over the route of the Power of Siberia 2 gas pipeline
https://www.gazette.example/international/europe/2026/11/30/kremlin-putin-state-visit-beijing-sanctions-tariffs-pipeline-route-dispute-analysis.html?ref=rss
gazette · 2026-11-30 09:45 +03
*Putin's* *visit*, they said, would include a signing ceremony for long-delayed energy agreements and a meeting with business leaders in Shanghai.

Putin to visit Istanbul for talks on the grain corridor
https://ledger.example/news/88431/grain-corridor-talks-istanbul
ledger · 2026-11-30 06:20 +03
*Putin* to *visit* Istanbul for talks on the grain corridor

--\x20
Try changes: newswatch watch test "Putin visit" --since 7d
This watch: watches[0] in newswatch.yaml"""  # noqa: E501 (one line per story line)


def test_showcase() -> None:
    [message] = render(showcase(), "text", tz=ZONE)
    assert (message.title, message.body_format) == ("putin-visit: 3 new stories", "text")
    assert message.body == "Query: Putin visit\n\n" + STORIES


def test_showcase_as_an_emails_text_part() -> None:
    # No subject line above it: the header names the watch and the count too.
    [message] = render(showcase(), "email", tz=ZONE)
    assert message.text == "putin-visit · query: Putin visit · 3 new stories\n\n" + STORIES
