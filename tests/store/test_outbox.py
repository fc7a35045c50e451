from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store.articles import save_articles
from store.db import session_factory
from store.items import Article as Crawled
from store.models import Delivery, DeliveryState
from store.outbox import (
    CLAIM_LEASE,
    NewMatch,
    claim_deliveries,
    due_deliveries,
    expire_deliveries,
    mark_failed,
    mark_sent,
    record_match,
    retry_delay,
)

# The code stamps rows with the real clock (Delivery.created), so the tests' clock starts there.
NOW = datetime.now(UTC)


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
        [delivery] = claim_deliveries(session, [d.id for d in due_deliveries(session)],
                                      claimant="run-a", now=NOW)
        assert mark_failed(session, [delivery.id], "HTTP 503", claimant="run-a", now=NOW) == [
            delivery.id
        ]
        delivery = row(session, delivery.id)
        assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1
        assert due_deliveries(session, now=NOW + timedelta(seconds=30)) == []
        assert due_deliveries(session, now=NOW + retry_delay(1)) == [delivery]
        later = delivery.created + timedelta(days=4)
        assert expire_deliveries(session, now=later) == [delivery]
        assert delivery.state == DeliveryState.EXPIRED


def test_sent_is_never_due_again(database_url):
    with session_factory(database_url).begin() as session:
        record_match(session, a_match(session), ["team"])
        ids = [d.id for d in claim_deliveries(
            session, [d.id for d in due_deliveries(session)], claimant="run-a")]
        assert mark_sent(session, ids, claimant="run-a") == ids
        assert due_deliveries(session) == []


def test_retry_delay_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(30) == timedelta(hours=1)


def test_a_claimed_row_is_left_to_its_claimant_until_the_lease_runs_out(database_url):
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        record_match(session, a_match(session), ["team"])
        ids = [d.id for d in due_deliveries(session)]
    with sessions.begin() as session:
        won = claim_deliveries(session, ids, claimant="run-a", now=NOW)
        assert [d.claimed_by for d in won] == ["run-a"]
    with sessions.begin() as session:
        assert claim_deliveries(session, ids, claimant="run-b", now=NOW) == []
        assert due_deliveries(session, now=NOW) == []
        assert claimants(session, ids) == ["run-a"]
    # run-a died without recording anything: once its lease is over, run-b may send the row.
    later = NOW + CLAIM_LEASE + timedelta(seconds=1)
    with sessions.begin() as session:
        [row] = claim_deliveries(session, ids, claimant="run-b", now=later)
        assert row.claimed_by == "run-b" and row.claim_until == later + CLAIM_LEASE


def test_recording_an_outcome_releases_the_claim(database_url):
    with session_factory(database_url).begin() as session:
        record_match(session, a_match(session), ["team", "me"])
        ids = [d.id for d in due_deliveries(session)]
        team, me = claim_deliveries(session, ids, claimant="run-a", now=NOW)
        mark_sent(session, [team.id], claimant="run-a", now=NOW)
        mark_failed(session, [me.id], "HTTP 503", claimant="run-a", now=NOW)
        team, me = row(session, team.id), row(session, me.id)
        assert (team.claimed_by, team.claim_until) == (None, None)
        assert (me.claimed_by, me.claim_until, me.state) == (None, None, DeliveryState.FAILED)
        # A sent row is never claimed again; a failed one only after its backoff, or when
        # the backoff is ignored (`newswatch alerts retry`).
        assert claim_deliveries(session, ids, claimant="run-b", now=NOW) == []
        [again] = claim_deliveries(session, ids, claimant="run-b", now=NOW, ignore_backoff=True)
        assert again.id == me.id


def test_expiry_counts_from_when_a_row_became_due_and_spares_claimed_rows(database_url):
    with session_factory(database_url).begin() as session:
        record_match(session, a_match(session), ["team", "me"])
        team, me = due_deliveries(session)
        later = team.created + timedelta(days=4)
        claim_deliveries(session, [me.id], claimant="run-a", now=later)
        # Due only two days after it was recorded (a weekly digest, say): not expired yet.
        waited = expire_deliveries(
            session, now=later, became_due=lambda d: d.created + timedelta(days=2)
        )
        assert waited == []
        assert expire_deliveries(session, now=later, older_than=timedelta(days=1)) == [team]
        assert (team.state, me.state) == (DeliveryState.EXPIRED, DeliveryState.PENDING)


def row(session, delivery_id: int) -> Delivery:
    """The row as the database has it now (the outbox writes with bulk UPDATEs)."""
    stmt = select(Delivery).where(Delivery.id == delivery_id)
    return session.scalars(stmt.execution_options(populate_existing=True)).one()


def claimants(session, ids) -> list[str | None]:
    return list(session.scalars(select(Delivery.claimed_by).where(Delivery.id.in_(ids))))


def test_an_outcome_is_recorded_only_while_the_claim_is_held(database_url):
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        record_match(session, a_match(session), ["team", "me"])
        ids = [d.id for d in due_deliveries(session)]
    with sessions.begin() as session:
        claim_deliveries(session, ids, claimant="run-a", now=NOW)
    # run-a's lease ran out while it was sending; run-b claimed the rows and is sending them.
    later = NOW + CLAIM_LEASE + timedelta(seconds=1)
    with sessions.begin() as session:
        assert len(claim_deliveries(session, ids, claimant="run-b", now=later)) == 2
    with sessions.begin() as session:
        assert mark_sent(session, ids[:1], claimant="run-a", now=later) == []
        assert mark_failed(session, ids[1:], "HTTP 503", claimant="run-a", now=later) == []
    with sessions() as session:
        rows = [row(session, i) for i in ids]
        assert [(r.state, r.attempts, r.claimed_by) for r in rows] == [
            (DeliveryState.PENDING, 0, "run-b")
        ] * 2
    with sessions.begin() as session:
        assert mark_sent(session, ids, claimant="run-b", now=later) == ids


def test_retry_after_holds_the_next_attempt_back_beyond_the_backoff(database_url):
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        record_match(session, a_match(session), ["team", "me"])
        ids = [d.id for d in claim_deliveries(
            session, [d.id for d in due_deliveries(session)], claimant="run-a", now=NOW)]
        asked = NOW + timedelta(minutes=5)
        mark_failed(session, ids[:1], "429", claimant="run-a", now=NOW, not_before=asked)
        soon = NOW + timedelta(seconds=5)  # sooner than the backoff: the backoff wins
        mark_failed(session, ids[1:], "429", claimant="run-a", now=NOW, not_before=soon)
        assert [row(session, i).next_attempt for i in ids] == [asked, NOW + retry_delay(1)]
