"""CommonMark for chat services: the showcase digest, and what a renderer makes of it."""

from __future__ import annotations

from apprise import NotifyFormat
from apprise.conversion import convert_between

from alerts.digest import render
from tests.alerts.receivers import html_elements
from tests.alerts.showcase import ZONE, showcase

SHOWCASE = """\
Query: `Putin visit`

**[Putin to visit China next month, Kremlin says](<https://courier.example/world/putin-to-visit-china-next-month-kremlin-says-20417.html>)**
courier · 2026\\-11\\-30 11:12 \\+03
MOSCOW \\(Wire\\) — Russian President Vladimir **Putin** will **visit** China next month for talks with President Xi Jinping, the Kremlin said on Tuesday, in what would be his second trip to Beijing this year\\.
Also on: [ledger](<https://ledger.example/news/88412/kremlin-confirms-putin-trip-to-beijing>), [gazette](<https://www.gazette.example/international/asia/2026/11/30/kremlin-putin-beijing-trip-confirmed?ref=rss&utm_source=feed>)

**[Kremlin says Putin's planned state visit to Beijing will go ahead as scheduled despite fresh Western sanctions, new tariff threats and a dispute over the route of the Power of Siberia 2 gas pipeline](<https://www.gazette.example/international/europe/2026/11/30/kremlin-putin-state-visit-beijing-sanctions-tariffs-pipeline-route-dispute-analysis.html?ref=rss>)**
gazette · 2026\\-11\\-30 09:45 \\+03
**Putin's** **visit**, they said, would include a signing ceremony for long\\-delayed energy agreements and a meeting with business leaders in Shanghai\\.

**[Putin to visit Istanbul for talks on the grain corridor](<https://ledger.example/news/88431/grain-corridor-talks-istanbul>)**
ledger · 2026\\-11\\-30 06:20 \\+03
**Putin** to **visit** Istanbul for talks on the grain corridor

Try changes: `newswatch watch test "Putin visit" --since 7d`
This watch: `watches[0]` in newswatch\\.yaml"""  # noqa: E501 (one line per story line)


def test_showcase() -> None:
    [message] = render(showcase(), "markdown", tz=ZONE)
    assert (message.title, message.body_format) == ("putin-visit: 3 new stories", "markdown")
    assert message.body == SHOWCASE


def test_showcase_rendered_links_and_marks() -> None:
    [message] = render(showcase(), "markdown", tz=ZONE)
    html = convert_between(NotifyFormat.MARKDOWN, NotifyFormat.HTML, message.body)
    elements = html_elements(html)
    links = [attrs["href"] for tag, attrs in elements if tag == "a"]
    digest = showcase()
    wire, long, headline_only = digest.items[1], digest.items[2], digest.items[0]
    assert links == [wire.url, *(copy.url for copy in wire.also_on), long.url, headline_only.url]
    assert "blockquote" not in [tag for tag, _ in elements]
    assert html.count("<strong>Putin</strong>") == 2 and "<strong>Putin's</strong>" in html
