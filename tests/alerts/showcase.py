"""A three-story digest to see every format with: the README's samples and screenshots.

- a wire story carried by two more sites (two copies, each linked under "Also on:");
- a story with a long headline and a long address (neither may widen a narrow screen);
- a story matched only in its headline (the one snippet that shows the headline again).

Snippets and marks come from the real matcher, on the articles below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.digest import Copy, Digest, DigestItem, WatchInfo
from alerts.matching import Document, matches

QUERY = "Putin visit"
WATCH = WatchInfo(name="putin-visit", query=QUERY, index=0, config="newswatch.yaml")
ZONE = ZoneInfo("Europe/Istanbul")
# A fixed moment: the samples in the README do not change from day to day.
SENT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

WIRE = Document(
    title="Putin to visit China next month, Kremlin says",
    text=(
        "MOSCOW (Wire) — Russian President Vladimir Putin will visit China next month for "
        "talks with President Xi Jinping, the Kremlin said on Tuesday, in what would be his "
        "second trip to Beijing this year. Kremlin spokesman Dmitry Peskov said preparations "
        "were under way."
    ),
    site="courier",
    url="https://courier.example/world/putin-to-visit-china-next-month-kremlin-says-20417.html",
    language="en",
)
WIRE_COPIES = (
    Copy("ledger", "https://ledger.example/news/88412/kremlin-confirms-putin-trip-to-beijing"),
    Copy("gazette", "https://www.gazette.example/international/asia/2026/11/30/"
                    "kremlin-putin-beijing-trip-confirmed?ref=rss&utm_source=feed"),
)
LONG = Document(
    title=(
        "Kremlin says Putin's planned state visit to Beijing will go ahead as scheduled "
        "despite fresh Western sanctions, new tariff threats and a dispute over the route of "
        "the Power of Siberia 2 gas pipeline"
    ),
    text=(
        "Officials in Moscow insisted on Monday that nothing had changed. Putin's visit, they "
        "said, would include a signing ceremony for long-delayed energy agreements and a "
        "meeting with business leaders in Shanghai."
    ),
    site="gazette",
    url=(
        "https://www.gazette.example/international/europe/2026/11/30/kremlin-putin-state-"
        "visit-beijing-sanctions-tariffs-pipeline-route-dispute-analysis.html?ref=rss"
    ),
    language="en",
)
HEADLINE_ONLY = Document(
    title="Putin to visit Istanbul for talks on the grain corridor",
    text=(
        "The Russian leader is expected in the city on Thursday. Turkish officials said the "
        "talks would focus on exports through the Black Sea."
    ),
    site="ledger",
    url="https://ledger.example/news/88431/grain-corridor-talks-istanbul",
    language="en",
)


def item(doc: Document, published: datetime, also_on: tuple[Copy, ...] = ()) -> DigestItem:
    """`doc` as a digest shows it, with the snippet and marks the matcher gives for QUERY."""
    match = matches(QUERY, doc)
    assert match is not None, doc.title
    return DigestItem(headline=doc.title, site=doc.site, url=doc.url, published=published,
                      snippet=match.snippet, marks=match.marks, also_on=also_on)


def showcase() -> Digest:
    """The three stories, newest first: the wire story, the long one, the headline-only one."""
    return Digest(watch=WATCH, items=(
        item(HEADLINE_ONLY, SENT - timedelta(hours=5, minutes=40)),
        item(WIRE, SENT - timedelta(minutes=48), also_on=WIRE_COPIES),
        item(LONG, SENT - timedelta(hours=2, minutes=15)),
    ))
