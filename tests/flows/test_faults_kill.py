"""kill -9 on a bad day: a crawl child mid-crawl, then ``newswatch run`` itself mid-delivery.

And a ``newswatch run`` killed mid-crawl leaves nothing behind: its crawl child and the
temporary Prefect server it started are gone 5 s later.

The first run loses one site's crawl child to SIGKILL while it is fetching, goes on, and is
itself killed while a digest is on the wire. The next run completes; then every article is
stored exactly once and every match is delivered, except the rows of the digest in flight: the
dead run's claim on them holds for ``store.outbox.CLAIM_LEASE`` (so that two live runs never
send one row twice), and the first dispatch after it sends them again, the one digest that
repeats.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bench.corpus import Corpus, serve_corpus
from store.db import forget_databases, session_factory
from store.models import Article, CrawlRun, Delivery, DeliveryState, Match
from tests.faults.servers import ListingMaze, alive, descendants, kill9, wait_until

ARTICLES = 40
CRAWL = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                      "CONCURRENT_REQUESTS_PER_DOMAIN": 2}, "timeout": "3m"}
WATCHES = [{"name": "floods", "query": "flood", "notify": ["hook"]},
           {"name": "fires", "query": "wildfire", "notify": ["hook"]},
           {"name": "mergers", "query": "merger", "notify": ["hook"]}]
_URL = re.compile(r"http://127\.0\.0\.1:\d+/[^\s)\]>\"'*<]+")


@pytest.fixture
def corpus_servers():
    corpus = Corpus(ARTICLES, seed=5, page_bytes=20_000)
    with serve_corpus(corpus, delay=0.05) as servers:
        yield servers


def write_config(tmp_path: Path, database: str, sites: list, channels: dict) -> str:
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump({"database": database, "crawl": CRAWL, "channels": channels,
                                    "sites": sites, "watches": WATCHES}))
    return str(path)


def start_run(config: str, prefect_api_url: str, home: Path) -> subprocess.Popen:
    command = Path(sys.executable).with_name("newswatch")
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(home)}
    return subprocess.Popen([str(command), "run", "--config", config], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def crawl_child(run: subprocess.Popen, site: str) -> int | None:
    for pid, command in descendants(run.pid):
        if "spiders.crawl" in command and f'"name": "{site}"' in command:
            return pid
    return None


def digest_urls(body: dict) -> set[str]:
    return set(_URL.findall(f"{body.get('title', '')}\n{body.get('message', '')}"))


def test_kill_crawl_child_then_run_mid_delivery_next_run_recovers(
    tmp_path, sqlite_url, corpus_servers, http_receiver, newswatch, prefect_api_url
):
    database_url = sqlite_url
    config = write_config(tmp_path, database_url, corpus_servers.site_configs(),
                          {"hook": http_receiver.url("json", "/hook")})
    gazette = corpus_servers["gazette"]

    # Run 1: SIGKILL the Gazette's crawl child while it fetches, then the run mid-delivery.
    http_receiver.delay = 120  # the first digest is received, its answer never comes
    first = start_run(config, prefect_api_url, tmp_path)
    try:
        wait_until(lambda: sum(n for p, n in gazette.hits.items()
                               if gazette.kind_of(p) == "article") >= 6,
                   timeout=180, what="the Gazette crawl to fetch articles")
        child = crawl_child(first, "gazette")
        assert child is not None, descendants(first.pid)
        kill9(child)
        wait_until(lambda: http_receiver.requests, timeout=180, what="a digest on the wire")
    finally:
        kill9(first.pid)
        first.communicate(timeout=30)
    in_flight = digest_urls(http_receiver.requests[0].json)
    assert first.returncode == -9

    forget_databases()
    with session_factory(database_url)() as session:
        runs = {r.site: r for r in session.scalars(select(CrawlRun))}
        assert runs["gazette"].failed, "the killed crawl is recorded as failed"
        assert any("-9" in e for e in runs["gazette"].errors), runs["gazette"].errors
        assert not runs["herald"].failed
        stored_after_kill = session.scalar(select(func.count()).select_from(Article))
    assert stored_after_kill < ARTICLES

    # Run 2: completes, and makes up for everything run 1 lost.
    http_receiver.delay = 0
    second = newswatch("run", "--config", config)
    assert second.returncode == 0, second.stderr[-3000:]

    forget_databases()
    with session_factory(database_url)() as session:
        urls = list(session.scalars(select(Article.canonical_url)))
        assert len(urls) == ARTICLES and len(set(urls)) == ARTICLES
        assert all(session.scalars(select(Article.title)))  # no half-written article
        deliveries = list(session.scalars(select(Delivery)))
        assert deliveries, "the watches matched nothing: the test proves nothing"
        # Rows the killed run had claimed wait for its lease to run out; all others are sent.
        waiting = {d.match.article.url for d in deliveries if d.state != DeliveryState.SENT}
        assert all(d.claimed_by for d in deliveries if d.state != DeliveryState.SENT)
    assert waiting <= in_flight, f"unsent beyond the digest in flight: {waiting - in_flight}"

    # Once the dead run's lease has run out, the next dispatch sends them: the one repeat.
    if waiting:
        send_after_lease(database_url, {"hook": http_receiver.url("json", "/hook")})

    forget_databases()
    with session_factory(database_url)() as session:
        deliveries = list(session.scalars(select(Delivery)))
        assert {d.state for d in deliveries} == {DeliveryState.SENT}
        delivered = {(d.watch, d.match.article.url) for d in deliveries}
        matches = session.scalar(select(func.count()).select_from(Match))
    assert matches == len(delivered)

    # Nothing lost: every delivery's story reached the receiver. At most one digest repeats.
    received = Counter()
    for request in http_receiver.requests:
        title = request.json.get("title", "")
        for url in digest_urls(request.json):
            received[(title.split(":")[0], url)] += 1
    for watch, url in delivered:
        assert received[(watch, url)] >= 1, f"{watch}: {url} was never sent"
    repeated = {url for (_, url), count in received.items() if count > 1}
    assert repeated <= in_flight, f"repeated beyond the digest in flight: {repeated - in_flight}"


def send_after_lease(database_url: str, channels: dict[str, str]) -> None:
    """Dispatch as a run would, with the clock past the dead run's claim lease."""
    from alerts.dispatch import dispatch_due
    from store.models import utcnow
    from store.outbox import CLAIM_LEASE

    later = utcnow() + CLAIM_LEASE + timedelta(minutes=1)
    report = dispatch_due(session_factory(database_url), channels, clock=lambda: later)
    assert report.sent and not report.failed, report


def still_alive_5_s_later(started: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Those of ``started`` still running 5 s from now."""
    time.sleep(5)
    return [(pid, command) for pid, command in started if alive(pid)]


def slow_site_config(tmp_path: Path, database: str, slow: ListingMaze, **site: str) -> Path:
    """A config of one site, ``slow``, whose crawl takes minutes."""
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({
        "database": database,
        "crawl": {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                               "CONCURRENT_REQUESTS_PER_DOMAIN": 1}, "timeout": "10m"},
        "sites": [{"name": "slow", "feeds": [f"{slow.base_url}/feed.xml"], **site}],
    }))
    return config


def test_kill9_of_a_run_leaves_no_process_it_started(tmp_path, sqlite_url):
    """No Prefect server to report to: the run starts Prefect's temporary server itself."""
    with ListingMaze(now=datetime.now(UTC), delay=1.0) as slow:
        config = slow_site_config(tmp_path, sqlite_url, slow)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env["NEWSWATCH_HOME"] = str(tmp_path)
        command = Path(sys.executable).with_name("newswatch")
        with (tmp_path / "run.log").open("wb") as log:
            run = subprocess.Popen([str(command), "run", "--config", str(config)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: slow.hits_under("/a/") >= 2, timeout=240,
                       what="the crawl to fetch articles")
            started = descendants(run.pid)
            kinds = {kind for kind in ("spiders.crawl", "uvicorn", "spiders/lifeline.py")
                     if any(kind in command for _, command in started)}
            assert kinds == {"spiders.crawl", "uvicorn", "spiders/lifeline.py"}, started
        finally:
            kill9(run.pid)
            run.wait(timeout=30)
        left = still_alive_5_s_later(started)
        assert not left, f"still alive 5 s after kill -9 of newswatch run: {left}"


def test_kill9_of_a_serve_worker_then_of_serve_leaves_no_process_it_started(
    tmp_path, sqlite_url, prefect_api_url
):
    """A flow-run process of ``serve`` killed mid-crawl takes its crawl child with it; ``serve``
    killed then takes every other process it started."""
    from prefect.deployments import run_deployment

    from tests.flows.test_serve import wait_for_deployments

    with ListingMaze(now=datetime.now(UTC), delay=1.0) as slow:
        config = slow_site_config(tmp_path, sqlite_url, slow, every="1h")
        env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(tmp_path),
               "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
        command = Path(sys.executable).with_name("newswatch")
        with (tmp_path / "serve.log").open("wb") as log:
            served = subprocess.Popen([str(command), "serve", "--config", str(config)], env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_deployments({"slow"}, served, tmp_path / "serve.log")
            run_deployment("newswatch-run/slow", timeout=0)
            wait_until(lambda: slow.hits_under("/a/") >= 2, timeout=240,
                       what="the served run to fetch articles")

            [(child, _)] = [(pid, cmd) for pid, cmd in descendants(served.pid)
                            if "spiders.crawl" in cmd]
            [worker] = [pid for pid, _ in descendants(served.pid)
                        if child in {p for p, _ in descendants(pid)}]
            worker_started = descendants(worker)
            kill9(worker)
            left = still_alive_5_s_later(worker_started)
            assert not left, f"still alive 5 s after kill -9 of a serve worker: {left}"
            assert served.poll() is None, "serve goes on when one of its runs dies"

            started = descendants(served.pid)
            assert any("spiders/lifeline.py" in cmd for _, cmd in started), started
        finally:
            kill9(served.pid)
            served.wait(timeout=30)
        left = still_alive_5_s_later(started)
        assert not left, f"still alive 5 s after kill -9 of newswatch serve: {left}"
