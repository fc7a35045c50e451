from datetime import UTC, datetime, timedelta

from spiders.items import Article as Crawled
from store.articles import save_articles
from store.db import session_factory
from store.models import DeliveryState
from store.outbox import (
    NewMatch,
    due_deliveries,
    expire_deliveries,
    mark_failed,
    mark_sent,
    record_match,
    retry_delay,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def a_match(session):
    article = Crawled(
        url="https://a.example/x",
        canonical_url="https://a.example/x",
        site="a",
        title="T",
        text="B",
        fetched=NOW,
    )
    saved = save_articles(session, [article])[0]
    return NewMatch(
        watch="w",
        story_id=saved.story_id,
        article_id=saved.article_id,
        snippet="s",
        marks=((0, 1),),
    )


def test_a_watch_matches_a_story_once(database_url):
    with session_factory(database_url).begin() as session:
        new = a_match(session)
        assert record_match(session, new, ["team", "me", "team"]) is not None
        assert record_match(session, new, ["team"]) is None
        assert sorted(d.channel for d in due_deliveries(session)) == ["me", "team"]


def test_failed_delivery_waits_with_backoff_then_expires(database_url):
    with session_factory(database_url).begin() as session:
        record_match(session, a_match(session), ["team"])
        [delivery] = due_deliveries(session, now=NOW)
        mark_failed([delivery], "HTTP 503", now=NOW)
        assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1
        assert due_deliveries(session, now=NOW + timedelta(seconds=30)) == []
        assert due_deliveries(session, now=NOW + retry_delay(1)) == [delivery]
        later = delivery.created + timedelta(days=4)
        assert expire_deliveries(session, now=later) == [delivery]
        assert delivery.state == DeliveryState.EXPIRED


def test_sent_is_never_due_again(database_url):
    with session_factory(database_url).begin() as session:
        record_match(session, a_match(session), ["team"])
        mark_sent(due_deliveries(session))
        assert due_deliveries(session) == []


def test_retry_delay_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(30) == timedelta(hours=1)
