"""Stories end to end: a story alerts once however many sites carry it; a follow-up alerts.

Two outlets on a loopback site of their own (``alpha`` and ``beta``, Atom feeds), real
``newswatch run`` processes, a JSON webhook as the channel:

1. alpha publishes the Kremlin story: one alert.
2. beta publishes a syndicated copy with another headline: nothing is sent; the copy is on the
   story, and ``newswatch stories`` lists it.
3. alpha corrects its story in place and publishes a follow-up: one alert, the follow-up's.

The edit in step 3 reaches the store only when the crawler fetches stored articles again after
their feed entry says they were updated (``spiders.middlewares``); the same edit is also made
at the store and match level below, so the rule holds whatever the crawler does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from sqlalchemy import select

import spiders.middlewares
from alerts.watching import match_articles
from flows.cli import main
from spiders.sample_server import serving
from store.articles import save_articles
from store.db import session_factory
from store.items import Article as Crawled
from store.models import Article, Match
from tests.store.story_pairs import PUTIN, PUTIN_FOLLOW_UP, PUTIN_LEDGER

TEST_CRAWL = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}, "timeout": "2m"}
STORY = "Putin to visit China next month, Kremlin says"
COPY = "Kremlin confirms Putin trip to Beijing"
FOLLOW_UP = "Putin visits Beijing as Xi rolls out red carpet"
CORRECTION = (
    "Correction: an earlier version of this story gave the wrong month for Putin’s last visit "
    "to China. He travelled there in May, not in March."
)

WEATHER = """\
Gales of up to 80mph are expected along the west coast on Saturday as the season’s first named \
storm brings heavy rain to much of the country, forecasters said.

The Met Office issued an amber warning for wind covering coastal areas from noon until midnight, \
warning of flying debris, power cuts and disruption to ferries and trains.

Up to 100mm of rain could fall on high ground, raising the risk of flooding in towns where rivers \
are already high after a wet autumn."""


class NewsSite(ThreadingHTTPServer):
    """Pages by path, changed by the test between runs; an Atom feed per outlet."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.entries: dict[str, list[tuple[str, str, datetime, datetime]]] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def publish(self, outlet: str, slug: str, title: str, body: str, *, published: datetime,
                updated: datetime | None = None) -> str:
        path = f"/{outlet}/news/{slug}.html"
        url = self.base_url + path
        paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in body.split("\n\n"))
        html = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title>"
            f'<link rel="canonical" href="{url}">'
            f'<meta property="article:published_time" content="{published.isoformat()}">'
            f"</head><body><header><nav><a href='/{outlet}/'>Home</a></nav></header>"
            f"<article><h1>{escape(title)}</h1>\n{paragraphs}</article>"
            f"<footer>© {outlet}</footer></body></html>"
        )
        self.pages[path] = ("text/html; charset=utf-8", html.encode())
        entries = [e for e in self.entries.get(outlet, []) if e[0] != url]
        entries.append((url, title, published, updated or published))
        self.entries[outlet] = entries
        self.pages[f"/{outlet}/atom.xml"] = ("application/atom+xml", self._feed(outlet))
        return url

    def _feed(self, outlet: str) -> bytes:
        items = "".join(
            f"<entry><title>{escape(title)}</title><link href='{url}'/><id>{url}</id>"
            f"<published>{published.isoformat()}</published>"
            f"<updated>{updated.isoformat()}</updated></entry>"
            for url, title, published, updated in self.entries[outlet]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{outlet}</title>'
            f"<id>{self.base_url}/{outlet}/</id><updated>{datetime.now(UTC).isoformat()}</updated>"
            f"{items}</feed>"
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: NewsSite

    def do_GET(self) -> None:  # the name http.server calls
        content_type, body = self.server.pages.get(self.path, ("text/plain", b""))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    with serving(NewsSite(), "news-site") as server:
        yield server


def write_config(tmp_path, database_url, site: NewsSite, hook: str) -> str:
    config = {
        "database": database_url,
        "crawl": TEST_CRAWL,
        "channels": {"hook": hook},
        "sites": [
            {"name": outlet, "feeds": [f"{site.base_url}/{outlet}/atom.xml"]}
            for outlet in ("alpha", "beta")
        ],
        "watches": [{"name": "putin-visit", "query": "Putin visit", "notify": ["hook"]}],
    }
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_a_story_alerts_once_and_its_follow_up_alerts(
    tmp_path, sqlite_url, news_site, http_receiver, newswatch
):
    now = datetime.now(UTC).replace(microsecond=0)
    hook = http_receiver.url("json", "/hook")
    config = write_config(tmp_path, sqlite_url, news_site, hook)
    story_url = news_site.publish("alpha", "putin-china", STORY, PUTIN,
                                  published=now - timedelta(hours=2))
    news_site.publish("beta", "weather", "Storm brings gales to the west coast",
                      WEATHER, published=now - timedelta(hours=3))

    # 1. The story, from alpha: one alert.
    first = newswatch("run", "--config", config)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(http_receiver.requests) == 1
    assert http_receiver.requests[0].json["title"].startswith("putin-visit:")
    assert STORY in http_receiver.requests[0].json["message"]

    # 2. A copy on beta, with another headline: nothing is sent, the copy is on the story.
    news_site.publish("beta", "kremlin-confirms", COPY, PUTIN_LEDGER,
                      published=now - timedelta(hours=1))
    second = newswatch("run", "--config", config)
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(http_receiver.requests) == 1
    with session_factory(sqlite_url)() as session:
        articles = {a.site: a for a in session.scalars(select(Article).where(
            Article.title.in_([STORY, COPY])))}
        assert articles["beta"].story_id == articles["alpha"].story_id
    listing = newswatch("stories", "--config", config, "--since", "1d")
    assert listing.returncode == 0, listing.stderr
    assert f"{STORY}\n  alpha · " in listing.stdout
    assert f"  beta · {(now - timedelta(hours=1)):%Y-%m-%d %H:%M} UTC · {COPY}" in listing.stdout
    assert "  also reported by: beta\n" in listing.stdout
    assert "2 stories since 1d ago, 1 carried by more than one site." in listing.stdout

    # 3. alpha corrects the story in place and publishes a follow-up: one alert, the follow-up.
    news_site.publish("alpha", "putin-china", STORY, f"{PUTIN}\n\n{CORRECTION}",
                      published=now - timedelta(hours=2), updated=datetime.now(UTC))
    news_site.publish("alpha", "putin-beijing", FOLLOW_UP, PUTIN_FOLLOW_UP,
                      published=datetime.now(UTC))
    third = newswatch("run", "--config", config)
    assert third.returncode == 0, third.stderr[-3000:]
    assert len(http_receiver.requests) == 2
    alert = http_receiver.requests[1].json
    assert alert["title"].startswith("putin-visit:")
    assert FOLLOW_UP in alert["message"] and STORY not in alert["message"]
    if hasattr(spiders.middlewares, "MODIFIED_META"):  # the crawler fetches edited articles
        with session_factory(sqlite_url)() as session:
            story = session.scalar(select(Article).where(Article.canonical_url == story_url))
            assert story.updated is not None and CORRECTION in story.body
            assert story.story_id == articles["alpha"].story_id


def test_an_edit_in_place_is_matched_again_and_sends_nothing(sqlite_url):
    """The store and match steps of a run, for an edit the crawler brought in."""
    now = datetime.now(UTC)
    url = "https://alpha.example/news/putin-china.html"

    def crawled(body: str) -> Crawled:
        return Crawled(url=url, canonical_url=url, site="alpha", title=STORY, text=body,
                       published=now - timedelta(hours=2), fetched=now)

    watches, channels = {"putin-visit": "Putin visit"}, {"putin-visit": ("hook",)}
    factory = session_factory(sqlite_url)
    with factory.begin() as session:
        first = save_articles(session, [crawled(PUTIN)])
        assert len(match_articles(session, [s.article_id for s in first], watches, channels)) == 1
    with factory.begin() as session:
        edited = save_articles(session, [crawled(f"{PUTIN}\n\n{CORRECTION}")])
        assert [(s.status, s.story_id) for s in edited] == [("updated", first[0].story_id)]
        assert match_articles(session, [s.article_id for s in edited], watches, channels) == []
        assert len(session.scalars(select(Match)).all()) == 1



def test_the_demo_alerts_the_wire_story_once_with_its_copy(newswatch):
    """The sample site's courier story and its syndicated ledger copy are one story."""
    result = newswatch("demo")
    assert result.returncode == 0, result.stderr[-3000:]
    first = result.stdout.split("== Second run")[0]
    assert "putin-visit: 1 new story" in first
    assert "Putin to visit China next month, Kremlin says" in first
    assert re.search(r"^Also on: ledger <http://\S+/ledger/news/88412/\S+>$", first, re.M)
    assert "Kremlin confirms Putin trip to Beijing" not in first


def test_stories_lists_copies_newest_first(tmp_path, sqlite_url, capsys, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({"database": sqlite_url}))
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    def crawled(site: str, title: str, body: str, age: timedelta) -> Crawled:
        url = f"https://{site}.example/news/{title.split()[0].lower()}"
        return Crawled(url=url, canonical_url=url, site=site, title=title, text=body,
                       published=now - age, fetched=now - age)

    with session_factory(sqlite_url).begin() as session:
        save_articles(session, [
            crawled("alpha", STORY, PUTIN, timedelta(hours=3)),
            crawled("beta", COPY, PUTIN_LEDGER, timedelta(hours=2)),
            crawled("beta", "Storm brings gales", WEATHER, timedelta(hours=1)),
            crawled("gamma", "Gales \x1b[31mred\x1b[0m", WEATHER, timedelta(minutes=30)),
        ])
    assert main(["stories", "--config", str(config)]) == 0
    assert capsys.readouterr().out == (
        "Storm brings gales\n"
        f"  beta · {now - timedelta(hours=1):%Y-%m-%d %H:%M} UTC\n"
        "    https://beta.example/news/storm\n"
        f"  gamma · {now - timedelta(minutes=30):%Y-%m-%d %H:%M} UTC · Gales [31mred[0m\n"
        "    https://gamma.example/news/gales\n"
        "  also reported by: gamma\n"
        "\n"
        f"{STORY}\n"
        f"  alpha · {now - timedelta(hours=3):%Y-%m-%d %H:%M} UTC\n"
        "    https://alpha.example/news/putin\n"
        f"  beta · {now - timedelta(hours=2):%Y-%m-%d %H:%M} UTC · {COPY}\n"
        "    https://beta.example/news/kremlin\n"
        "  also reported by: beta\n"
        "\n"
        "2 stories since 1d ago, 2 carried by more than one site.\n"
    )
    assert main(["stories", "--config", str(config), "--since", "10m"]) == 0
    assert capsys.readouterr().out == "0 stories since 10m ago, 0 carried by more than one site.\n"
    assert main(["stories", "--config", str(config), "--since", "yesterday"]) == 2
    assert capsys.readouterr().err == (
        "newswatch: --since: 'yesterday' is not a duration; use a number and a unit, "
        "like 15m, 2h or 7d\n"
    )
