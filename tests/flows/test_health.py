"""The check-health step: one "looks broken" message per episode to the ops channel, one on
recovery, queued in the outbox and sent by the deliver step like an alert (so a channel that
is down gets it at a later run, and no transaction is open while it is sent)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from apprise.decorators import notify
from prefect.logging import disable_run_logger
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from flows.cli import main
from flows.config import ConfigError, parse_config
from flows.tasks import check_health, deliver
from store.crawlruns import record_crawl_run
from store.db import session_factory
from store.health import SiteCheck
from store.models import Delivery

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
_SENT: list[tuple[str, str]] = []


@notify(on="nwops", name="Newswatch ops test channel")
def _record(body: str, title: str, *args: object, **kwargs: object) -> None:
    _SENT.append((title, body))


@pytest.fixture
def ops_messages() -> list[tuple[str, str]]:
    """(title, body) of what went to `nwops://` during the test."""
    _SENT.clear()
    return _SENT


def a_config(database_url: str, ops: str, *, after: int | None = None, source: str | None = None):
    health = {"channel": "ops"} if after is None else {"channel": "ops", "after": after}
    return parse_config(
        {
            "database": database_url,
            "channels": {"ops": ops},
            "health": health,
            "sites": [{"name": "courier", "feeds": ["https://courier.example/rss"]}],
        },
        **({"source": source} if source else {}),
    )


def run_checks(config) -> list:
    """What a run does for site health: check, then (after matching) deliver."""
    changes = check_health.fn(["courier"], config)
    deliver.fn(config)
    return changes


def crawl_run(config, n: int, *, broken: bool) -> None:
    check = SiteCheck(site="courier", failed=True, error="https://courier.example/rss: HTTP 500") \
        if broken else SiteCheck(site="courier", listed=4, pages_read=4, with_body=4, with_date=4)
    with session_factory(config.database).begin() as session:
        when = T0 + timedelta(minutes=15 * n)
        record_crawl_run(session, site="courier", started=when, finished=when, pages=1,
                         articles_found=check.with_body, articles_new=0, articles_updated=0,
                         failed=check.failed, errors=[], check=check)


def test_a_site_broken_for_three_runs_says_so_once_and_once_more_on_recovery(
    sqlite_url, ops_messages
):
    config = a_config(sqlite_url, "nwops://")
    with disable_run_logger():
        for n in range(5):
            crawl_run(config, n, broken=True)
            run_checks(config)
        assert [title for title, _ in ops_messages] == ["Newswatch: site courier looks broken"]
        body = ops_messages[0][1]
        assert "the last 3 runs were bad since 2026-11-30 08:00 UTC" in body
        assert "HTTP 500" in body

        crawl_run(config, 5, broken=False)
        changes = run_checks(config)
        crawl_run(config, 6, broken=False)
        run_checks(config)
    assert [c.kind for c in changes] == ["recovered"]
    assert [title for title, _ in ops_messages] == [
        "Newswatch: site courier looks broken",
        "Newswatch: site courier recovered",
    ]


def test_a_message_the_ops_channel_refused_is_sent_at_the_next_run(
    sqlite_url, http_receiver
):
    config = a_config(sqlite_url, http_receiver.url("json", "/ops"), after=1)
    http_receiver.status = 503
    with disable_run_logger():
        crawl_run(config, 0, broken=True)
        assert [c.kind for c in run_checks(config)] == ["broken"]  # queued, not sent
        http_receiver.status = 200
        crawl_run(config, 1, broken=True)
        assert run_checks(config) == []  # one message per episode, still queued
        assert len(http_receiver.requests) == 1  # within the backoff: not tried again yet
        with session_factory(sqlite_url).begin() as session:  # the backoff is over
            session.execute(update(Delivery).values(next_attempt=datetime.now(UTC)))
        run_checks(config)
    assert len(http_receiver.requests) == 2  # the refused one, then the one that went out
    assert [r.json["title"] for r in http_receiver.requests] == [
        "Newswatch: site courier looks broken"
    ] * 2
    with session_factory(sqlite_url)() as session:
        [row] = session.scalars(select(Delivery))
    assert (row.kind, row.watch, row.state, row.attempts) == ("health", "health:courier",
                                                              "sent", 2)


def test_no_transaction_is_open_while_a_health_message_is_sent(sqlite_url, http_receiver):
    """On SQLite an open write transaction locks out every other writer: while the ops
    channel takes the message, another process can still write."""
    config = a_config(sqlite_url, http_receiver.url("json", "/ops"), after=1)
    writes: list[str] = []

    class WriteWhileReceiving(list):
        def append(self, request) -> None:
            super().append(request)
            other = sqlite3.connect(make_url(sqlite_url).database, timeout=0.5,
                                    isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writes.append("written")
            except sqlite3.OperationalError as exc:
                writes.append(str(exc))
            finally:
                other.close()

    http_receiver.requests = WriteWhileReceiving()
    with disable_run_logger():
        crawl_run(config, 0, broken=True)
        run_checks(config)
    assert len(http_receiver.requests) == 1 and writes == ["written"]


def test_alerts_list_shows_health_messages(tmp_path, sqlite_url, http_receiver, capsys):
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump({"database": sqlite_url,
                                    "channels": {"ops": http_receiver.url("json", "/ops")},
                                    "health": {"channel": "ops", "after": 1}}))
    config = a_config(sqlite_url, http_receiver.url("json", "/ops"), after=1, source=str(path))
    http_receiver.status = 503
    with disable_run_logger():
        crawl_run(config, 0, broken=True)
        run_checks(config)
    assert main(["alerts", "list", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.match(r"\S+ \S+ +health:courier +ops +failed +1  "
                    r"Newswatch: site courier looks broken$", lines[1]), lines
    assert "error=503" in lines[2] and lines[3].strip().startswith("next try: ")
    assert main(["alerts", "retry", "--config", str(path)]) == 1
    assert capsys.readouterr().out.startswith(
        "health:courier → ops: not sent (1 health message): json://")


def test_the_health_channel_must_be_a_configured_channel():
    with pytest.raises(ConfigError) as error:
        parse_config({"channels": {"team": "json://127.0.0.1:9/x"}, "health": {"channel": "ops"}})
    assert str(error.value) == (
        "newswatch.yaml: health.channel: unknown channel 'ops' (channels: team)"
    )
    with pytest.raises(ConfigError, match=r"^newswatch.yaml: health.after: "):
        parse_config({"health": {"after": 0}})
