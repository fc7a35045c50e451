"""Bad dates never block delivery, and a delivery that cannot be rendered fails alone.

A loopback site of its own: a feed item dated ``Fri, 31 Dec 9999 23:30:00 GMT`` whose page has no
date, a page whose metadata says the same year while its feed item has a sound time, and an
ordinary article. A watch in a zone east of UTC matches the first two (the time in that zone
is past year 9999, where ``astimezone`` overflows), another watch the third. An article
stored with that date before dates were checked is matched in the same run.

Then the sample site, with one stored article's time spoiled beyond what a datetime holds:
its delivery fails with its error, every other one goes out. Real ``newswatch run``
processes, a JSON webhook as the channel.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from spiders.sample_server import sample_site_server
from store.articles import save_articles
from store.db import session_factory
from store.items import Article as Crawled
from store.models import Article, Delivery, DeliveryState
from tests.alerts.receivers import HttpReceiver

TEST_CRAWL = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}, "timeout": "2m"}
FAR_FUTURE = "Fri, 31 Dec 9999 23:30:00 GMT"

PARAGRAPHS = {
    "comet-feed": (
        "Comet Atlas: amateur astronomers spot a new comet above the harbour lights",
        "A new comet was spotted on Tuesday night by two amateur astronomers watching from a "
        "hill above the town, who reported it to the observatory within the hour.",
        "Astronomers at the observatory confirmed the sighting and said the comet should be "
        "visible with binoculars for the next fortnight, low on the eastern horizon before dawn.",
    ),
    "comet-page": (
        "Comet tail grows as it nears the sun, observatory says",
        "The comet found last week has grown a tail several degrees long as it swings towards "
        "the sun, the regional observatory said in a bulletin on Thursday.",
        "Its director said dark skies away from street lighting gave the best view, and that "
        "a clear spell forecast for the weekend would be the last chance for weeks.",
    ),
    "ferry": (
        "Ferry timetable changes for the winter season",
        "The island ferry will run three crossings a day instead of five from next month, the "
        "operator announced, citing falling passenger numbers after the summer.",
        "Councillors said they would press for an extra evening sailing on Fridays so that "
        "students and workers can get home for the weekend without staying over.",
    ),
}


OLD_TEXT = (
    "Dozens of comet hunters gathered on the old town walls on Sunday evening, telescopes "
    "and flasks of tea in hand, hoping for a glimpse before the clouds rolled in from the "
    "west. Most went home disappointed, but a few caught the faint smudge low in the sky."
)


def page(slug: str, published: str | None) -> str:
    title, *body = PARAGRAPHS[slug]
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    paragraphs = "".join(f"<p>{p}</p>\n" for p in body)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="canonical" href="{{{{base}}}}/news/{slug}.html">{meta}</head>'
        f"<body><article><h1>{title}</h1>\n{paragraphs}</article></body></html>"
    )


def item(slug: str, pub_date: str) -> str:
    return (f"<item><title>{PARAGRAPHS[slug][0]}</title>"
            f"<link>{{{{base}}}}/news/{slug}.html</link><guid>{slug}</guid>"
            f"<pubDate>{pub_date}</pubDate></item>")


def write_site(root: Path) -> None:
    """The feed and its three pages, as ``spiders.sample_server`` serves them."""
    (root / "news").mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "news" / "comet-feed.html").write_text(page("comet-feed", None))
    (root / "news" / "comet-page.html").write_text(page("comet-page", "9999-12-31T23:30:00Z"))
    (root / "news" / "ferry.html").write_text(page("ferry", "{{published:-1h}}"))
    (root / "rss.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Skyline</title>'
        "<link>{{base}}/</link><description>News</description>"
        + item("comet-feed", FAR_FUTURE)
        + item("comet-page", "{{rfc822:-3h}}")
        + item("ferry", "{{rfc822:-1h}}")
        + "</channel></rss>"
    )


def write_config(tmp_path: Path, database_url: str, site: str, hook: str, *, timezone: str) -> str:
    config = {
        "database": database_url,
        "crawl": TEST_CRAWL,
        "channels": {"hook": hook},
        "sites": [{"name": "skyline", "feeds": [f"{site}/rss.xml"]}],
        "watches": [
            {"name": "comets", "query": "comet", "notify": ["hook"], "timezone": timezone},
            {"name": "ferries", "query": "ferry timetable", "notify": ["hook"]},
        ],
    }
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


def test_far_future_dates_never_block_delivery_in_a_zone_east_of_utc(
    tmp_path, database_url, newswatch
):
    write_site(tmp_path / "site")
    now = datetime.now(UTC)
    # What a crawl stored before dates were checked: kept as it is, and still delivered.
    stored_before = Crawled(
        url="https://old.example/comet", canonical_url="https://old.example/comet", site="old",
        title="Comet hunters gather on the old town walls", text=OLD_TEXT,
        published=datetime(9999, 12, 31, 23, 30, tzinfo=UTC), fetched=now - timedelta(minutes=5),
    )
    with session_factory(database_url).begin() as session:
        save_articles(session, [stored_before])
    with sample_site_server(root=tmp_path / "site") as site, HttpReceiver() as hook:
        config = write_config(tmp_path, database_url, site.base_url, hook.url("json", "/h"),
                              timezone="Europe/Istanbul")
        result = newswatch("run", "--config", config)
        after = datetime.now(UTC)

    assert result.returncode == 0, result.stderr[-3000:]
    sent = {r.json["title"].split(":")[0]: r.json["message"] for r in hook.requests}
    assert set(sent) == {"comets", "ferries"}
    assert "/news/ferry.html" in sent["ferries"]
    comets = sent["comets"]
    assert comets.count("/news/comet-") == 2 and "old.example/comet" in comets
    # Story times in the watch's zone (Istanbul is UTC+3 all year); the one the zone cannot
    # hold in UTC.
    assert len(re.findall(r" · \d{4}-\d{2}-\d{2} \d{2}:\d{2} \+03$", comets, re.MULTILINE)) == 2
    assert re.search(r" · 9999-12-31 23:30 UTC$", comets, re.MULTILINE)

    with session_factory(database_url)() as session:
        stored = {a.url.rsplit("/", 1)[1]: a for a in session.scalars(select(Article))}
        states = list(session.scalars(select(Delivery.state)))
    assert states == [DeliveryState.SENT] * 4
    # No time to trust: unknown, so the fetch time stands in for it.
    assert stored["comet-feed.html"].published is None
    assert now <= stored["comet-feed.html"].fetched <= after
    # The page's year 9999 gives way to its feed item's time.
    assert stored["comet-page.html"].published == site.now - timedelta(hours=3)
    assert stored["ferry.html"].published == site.now - timedelta(hours=1)


# -- one delivery that cannot be rendered fails alone ---------------------------------------------

# A stored time no datetime can hold, as another tool or a hand edit may leave it: SQLite keeps
# the text, PostgreSQL has its own 'infinity'.
UNREADABLE_TIME = {"sqlite": "10000-01-01 00:00:00.000000", "postgresql": "infinity"}


def test_a_delivery_that_cannot_be_rendered_fails_alone(
    tmp_path, database_url, sample_site, newswatch
):
    with HttpReceiver(status=503) as hook:
        config = tmp_path / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": database_url,
            "crawl": TEST_CRAWL,
            "channels": {"hook": hook.url("json", "/h")},
            "sites": [
                {"name": "courier", "feeds": [f"{sample_site}/courier/rss.xml"]},
                {"name": "ledger", "sitemaps": [f"{sample_site}/ledger/sitemap-news.xml"]},
            ],
            "watches": [
                {"name": "putin-visit", "query": "Putin visit", "notify": ["hook"]},
                {"name": "morning", "query": "floods OR inflation OR storm", "notify": ["hook"],
                 "timezone": "Asia/Tokyo"},
            ],
        }))
        # The channel is down for the first run: every delivery stays queued.
        first = newswatch("run", "--config", str(config))
        assert first.returncode == 1, first.stderr[-3000:]
        with session_factory(database_url).begin() as session:
            rows = {d.id: d for d in session.scalars(select(Delivery))}
            morning = sorted(d.id for d in rows.values() if d.watch == "morning")
            assert len(morning) >= 3 and len(rows) > len(morning)
            assert {d.state for d in rows.values()} == {DeliveryState.FAILED}
            poisoned = rows[morning[1]]
            poisoned_title = poisoned.match.article.title
            session.execute(
                text("UPDATE articles SET published = :bad WHERE id = :id"),
                {"bad": UNREADABLE_TIME[make_url(database_url).get_backend_name()],
                 "id": poisoned.match.article_id},
            )
            for delivery in rows.values():  # the backoff is over
                delivery.next_attempt = datetime.now(UTC) - timedelta(seconds=1)

        hook.status, hook.requests = 200, []
        second = newswatch("run", "--config", str(config))
        listed = newswatch("alerts", "list", "--failed", "--config", str(config))

    assert second.returncode == 1, second.stderr[-3000:]
    failures = second.stderr.split("newswatch: the run failed:\n")[1].splitlines()
    assert len(failures) == 1 and failures[0].startswith("  channel hook (watch morning): ")
    # Every other delivery went out: the other watch's digest, and the rest of this one's.
    sent = {r.json["title"]: r.json["message"] for r in hook.requests}
    assert set(sent) == {"putin-visit: 1 new story", f"morning: {len(morning) - 1} new stories"}
    assert poisoned_title not in sent[f"morning: {len(morning) - 1} new stories"]
    with session_factory(database_url)() as session:
        states = {d.id: (d.state, d.attempts) for d in session.scalars(select(Delivery))}
        error = session.get(Delivery, poisoned.id).last_error
    assert states.pop(poisoned.id) == (DeliveryState.FAILED, 2)
    assert set(states.values()) == {(DeliveryState.SENT, 2)}
    # Its error, on one line, in `newswatch alerts list --failed`.
    assert listed.returncode == 0, listed.stderr
    (line,) = [x for x in listed.stdout.splitlines() if "last error:" in x]
    assert line.split("last error: ")[1] == error
    assert "\n" not in error and error.startswith("could not read or render this story: ")
