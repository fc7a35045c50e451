"""The check-health step: one "looks broken" message per episode to the ops channel, one on
recovery, none when the channel is down (then the next run tries again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apprise.decorators import notify
from prefect.logging import disable_run_logger

from flows.config import ConfigError, parse_config
from flows.tasks import check_health
from store.crawlruns import record_crawl_run
from store.db import session_factory
from store.health import SiteCheck

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


def a_config(database_url: str, ops: str, *, after: int | None = None):
    health = {"channel": "ops"} if after is None else {"channel": "ops", "after": after}
    return parse_config(
        {
            "database": database_url,
            "channels": {"ops": ops},
            "health": health,
            "sites": [{"name": "courier", "feeds": ["https://courier.example/rss"]}],
        }
    )


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
            check_health.fn(["courier"], config)
        assert [title for title, _ in ops_messages] == ["Newswatch: site courier looks broken"]
        body = ops_messages[0][1]
        assert "the last 3 runs were bad since 2026-11-30 08:00 UTC" in body
        assert "HTTP 500" in body

        crawl_run(config, 5, broken=False)
        changes = check_health.fn(["courier"], config)
        crawl_run(config, 6, broken=False)
        check_health.fn(["courier"], config)
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
        assert check_health.fn(["courier"], config) == []
        http_receiver.status = 200
        crawl_run(config, 1, broken=True)
        assert [c.kind for c in check_health.fn(["courier"], config)] == ["broken"]
    assert len(http_receiver.requests) == 2  # the refused one, then the one that went out


def test_the_health_channel_must_be_a_configured_channel():
    with pytest.raises(ConfigError) as error:
        parse_config({"channels": {"team": "json://127.0.0.1:9/x"}, "health": {"channel": "ops"}})
    assert str(error.value) == (
        "newswatch.yaml: health.channel: unknown channel 'ops' (channels: team)"
    )
    with pytest.raises(ConfigError, match=r"^newswatch.yaml: health.after: "):
        parse_config({"health": {"after": 0}})
