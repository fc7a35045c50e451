"""The database locked or gone for a moment: a clear error, a failed run, then recovery.

SQLite: another process holds the write lock. A lock held past the busy timeout fails the run
with "database is locked"; a lock held only a moment is waited out. The run is made in this
process, through the ``newswatch`` command's own code, so the busy timeout can be shortened.

PostgreSQL: the server's port closes (a proxy in front of the real server is stopped). The run
fails at once, saying the connection was refused; with the port back, the next run completes.
When the server goes away for a moment in the middle of a run, while storing and again after a
digest went out, the steps try again: every article is stored once, the digest is sent once
and recorded, and the run's headline says the database was unavailable.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import store.db
from bench.corpus import TOPICS, Corpus, serve_corpus
from flows.cli import main
from store.db import forget_databases, session_factory
from store.models import Article, CrawlRun, Delivery
from tests.faults.servers import TcpProxy

ARTICLES = 10
CRAWL = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                      "CONCURRENT_REQUESTS_PER_DOMAIN": 4}, "timeout": "2m"}


@pytest.fixture(scope="module")
def corpus_sites():
    with serve_corpus(Corpus(ARTICLES, seed=6, page_bytes=8_000)) as servers:
        yield servers.site_configs()


def write_config(tmp_path, database: str, sites: list, **more) -> str:
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump({"database": database, "crawl": CRAWL, "sites": sites,
                                    "watches": [{"name": "floods", "query": "flood"}], **more}))
    return str(path)


def stored(database: str) -> tuple[int, int]:
    forget_databases()
    with session_factory(database)() as session:
        return (session.scalar(select(func.count()).select_from(Article)),
                session.scalar(select(func.count(func.distinct(Article.canonical_url)))))


def test_sqlite_locked_fails_clearly_then_a_moments_lock_is_waited_out(
    tmp_path, sqlite_url, corpus_sites, prefect_api_url, monkeypatch, capsys
):
    monkeypatch.setenv("PREFECT_API_URL", prefect_api_url)  # run in process, on the harness
    monkeypatch.setattr(store.db, "SQLITE_BUSY_TIMEOUT_S", 2)
    config = write_config(tmp_path, sqlite_url, corpus_sites)
    forget_databases()
    session_factory(sqlite_url)  # the database exists and is migrated
    forget_databases()

    locker = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None,
                             check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        assert main(["run", "--config", config]) == 1
    finally:
        locker.execute("ROLLBACK")
    err = capsys.readouterr().err
    assert "newswatch: the run failed:" in err
    assert "database is locked" in err, err[-2000:]
    assert stored(sqlite_url) == (0, 0)

    # Locked again, for one second of the next run's two-second busy timeout: waited out.
    forget_databases()
    locker.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(1.0, locker.execute, args=("ROLLBACK",))
    release.start()
    try:
        assert main(["run", "--config", config]) == 0, capsys.readouterr().err[-3000:]
    finally:
        release.join()
        locker.close()
    assert stored(sqlite_url) == (ARTICLES, ARTICLES)


def test_postgres_gone_fails_clearly_then_next_run_recovers(
    tmp_path, postgres_url, corpus_sites, newswatch
):
    real = make_url(postgres_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    database = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    config = write_config(tmp_path, database, corpus_sites)

    # The port is closed: the run fails at once, and says why.
    first = newswatch("run", "--config", config, timeout=180)
    assert first.returncode != 0
    assert "the run failed" in first.stderr, first.stderr[-3000:]
    assert "connection refused" in first.stderr.lower(), first.stderr[-3000:]

    # The server is back: the next run completes and stores every article once.
    with proxy:
        second = newswatch("run", "--config", config, timeout=300)
        assert second.returncode == 0, second.stderr[-3000:]
        assert stored(database) == (ARTICLES, ARTICLES)
        with session_factory(database)() as session:
            runs = list(session.scalars(select(CrawlRun)))
        assert runs and not any(r.failed for r in runs)
        forget_databases()


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_database_is_one_clear_line(
    tmp_path, corpus_sites, prefect_api_url, monkeypatch, capsys
):
    monkeypatch.setenv("PREFECT_API_URL", prefect_api_url)
    database = f"postgresql+psycopg://newswatch:s3cret@127.0.0.1:{closed_port()}/newswatch"
    config = write_config(tmp_path, database, corpus_sites)
    assert main(["run", "--config", config]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err, err[-3000:]
    failure = err.split("newswatch: the run failed:\n", 1)[1].strip().splitlines()
    assert len(failure) == 1, failure
    assert "database" in failure[0] and "refused" in failure[0].lower(), failure
    assert "s3cret" not in err


# Every topic of the corpus: each article matches, so every story is alerted.
EVERY_TOPIC = " OR ".join(f'"{topic}"' for topic, _ in TOPICS)


def test_postgres_going_away_mid_store_and_mid_delivery_loses_nothing_and_repeats_nothing(
    tmp_path, postgres_url, corpus_sites, newswatch, http_receiver
):
    real = make_url(postgres_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    database = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    site = corpus_sites[:1]  # one crawl child, done before the database goes away
    config = write_config(tmp_path, database, site, channels={"team": http_receiver.url(
        "json", "/team")}, watches=[{"name": "news", "query": EVERY_TOPIC, "notify": ["team"]}])
    # The server goes away as the first article is inserted, and again as the first delivery
    # is recorded (the digest went out); each time it is back two seconds later.
    stored_again = proxy.cut_when(b"INSERT INTO articles", down_for=2)
    recorded_again = proxy.cut_when(b"UPDATE deliveries SET state", down_for=2)
    with proxy:
        run = newswatch("run", "--config", config, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert stored_again.is_set() and recorded_again.is_set()
        articles = ARTICLES // 2
        assert stored(database) == (articles, articles)
        with session_factory(database)() as session:
            rows = list(session.scalars(select(Delivery)))
        forget_databases()
    assert len(rows) == articles
    assert {(d.state, d.attempts, d.claimed_by) for d in rows} == {("sent", 1, None)}
    [digest] = http_receiver.requests  # one digest, sent once, with every story
    assert digest.json["title"] == f"news: {articles} new stories"
    # The run says so in one line: its headline.
    assert run.stdout.splitlines() == [
        f"newswatch: {articles} new articles, {articles} new matches, {articles} alerts sent; "
        f"the database was unavailable for a moment, and store-{site[0]['name']}, "
        "deliver-alerts tried again"
    ]
    assert "Traceback" not in run.stderr
