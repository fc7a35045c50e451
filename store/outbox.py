"""Matches and the delivery outbox: a watch alerts a story once, on each of its channels.

A delivery row moves pending → sent, or → failed (retried with backoff) → sent, or → expired.

Sending a row is claim → send → record. ``claim_deliveries`` takes a lease on rows with one
atomic UPDATE that only touches rows still unsent and unclaimed (or whose lease ran out); the
caller commits the claim before it sends, so a second run at the same time finds the rows
claimed and leaves them alone, on SQLite (one writer at a time) as on PostgreSQL (the UPDATE
re-checks its condition on rows another transaction just changed). ``mark_sent`` and
``mark_failed`` record the outcome and release the lease. A run that dies after sending and
before recording leaves its rows claimed; once the lease runs out the next run sends them
again, which is the one repeat the outbox allows: it never loses a delivery.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from store.db import insert_new
from store.models import Delivery, DeliveryState, Match, utcnow

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
DEFAULT_EXPIRY = timedelta(days=3)
# How long a claim holds: longer than sending one digest can take (every part, each with
# its own network timeout), short enough that a crashed run's rows go out on a later run.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True, kw_only=True)
class NewMatch:
    watch: str
    story_id: int
    article_id: int
    snippet: str
    marks: tuple[tuple[int, int], ...]


def record_match(session: Session, match: NewMatch, channels: Sequence[str]) -> int | None:
    """Record a (watch, story) match and its pending deliveries; returns the match's id, or
    None if it was matched before (by an earlier run, or a concurrent one just now)."""
    statement = insert_new(session, Match.__table__, "watch", "story_id",
                           returning=Match.__table__.c.id)
    match_id = session.scalar(statement, {
        "watch": match.watch,
        "story_id": match.story_id,
        "article_id": match.article_id,
        "snippet": match.snippet,
        "marks": [list(m) for m in match.marks],
    })
    if match_id is None:
        return None
    rows = [{"match_id": match_id, "watch": match.watch, "story_id": match.story_id,
             "channel": channel} for channel in dict.fromkeys(channels)]
    if rows:
        session.execute(insert_new(session, Delivery.__table__, "watch", "story_id", "channel"),
                        rows)
    return match_id


def new_claimant() -> str:
    """A name for this run's claims: host, process and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def due_deliveries(
    session: Session, *, now: datetime | None = None, ignore_backoff: bool = False
) -> list[Delivery]:
    """Unsent, unclaimed deliveries whose backoff is over (or all, with ``ignore_backoff``)."""
    now = now or utcnow()
    stmt = select(Delivery).where(*_claimable(now, ignore_backoff)).order_by(Delivery.id)
    return list(session.scalars(stmt))


def claim_deliveries(
    session: Session,
    ids: Sequence[int],
    *,
    claimant: str,
    now: datetime | None = None,
    lease: timedelta = CLAIM_LEASE,
    ignore_backoff: bool = False,
) -> list[Delivery]:
    """Claim those of ``ids`` still claimable, in one UPDATE; returns the rows won.

    Commit before sending: the claim protects the rows only once other runs can see it.
    """
    now = now or utcnow()
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(ids), *_claimable(now, ignore_backoff))
        .values(claimed_by=claimant, claim_until=now + lease)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return _reload(session, list(session.scalars(stmt)))


def held_by(session: Session, ids: Sequence[int], claimant: str) -> list[Delivery]:
    """Those of ``ids`` that ``claimant`` still holds (a lease that ran out may be lost)."""
    stmt = select(Delivery).where(Delivery.id.in_(ids), Delivery.claimed_by == claimant)
    return list(session.scalars(stmt.order_by(Delivery.id)))


def expire_deliveries(
    session: Session,
    *,
    older_than: timedelta = DEFAULT_EXPIRY,
    now: datetime | None = None,
    became_due: Callable[[Delivery], datetime] | None = None,
) -> list[Delivery]:
    """Give up on unsent deliveries due for longer than ``older_than``; returns them.

    A delivery is due from ``became_due(delivery)`` (default: when it was recorded); a
    scheduled watch's rows become due at their slot. Rows claimed by a run are left alone.
    """
    now = now or utcnow()
    cutoff = now - older_than
    stmt = select(Delivery).where(*_claimable(now, True), Delivery.created < cutoff)
    stale = [
        d.id for d in session.scalars(stmt) if (became_due(d) if became_due else d.created) < cutoff
    ]
    if not stale:
        return []
    expire = (
        update(Delivery)
        .where(Delivery.id.in_(stale), *_claimable(now, True))
        .values(state=DeliveryState.EXPIRED, next_attempt=None)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return _reload(session, list(session.scalars(expire)))


def mark_sent(deliveries: Sequence[Delivery], *, now: datetime | None = None) -> None:
    """Record a successful attempt and release the claim."""
    now = now or utcnow()
    for delivery in deliveries:
        delivery.state = DeliveryState.SENT
        delivery.attempts += 1
        delivery.sent = now
        delivery.last_error = None
        delivery.next_attempt = None
        delivery.claimed_by = delivery.claim_until = None


def mark_failed(deliveries: Sequence[Delivery], error: str, *, now: datetime | None = None) -> None:
    """Record a failed attempt and release the claim.

    The next attempt waits twice as long as the one before, up to an hour (``retry_delay``).
    """
    now = now or utcnow()
    for delivery in deliveries:
        delivery.state = DeliveryState.FAILED
        delivery.attempts += 1
        delivery.last_error = error
        delivery.next_attempt = now + retry_delay(delivery.attempts)
        delivery.claimed_by = delivery.claim_until = None


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _claimable(now: datetime, ignore_backoff: bool) -> list[ColumnElement[bool]]:
    """Unsent, not claimed by a live lease, and (unless ignored) past its backoff."""
    conditions = [
        Delivery.state.in_(DeliveryState.RETRYABLE),
        or_(Delivery.claimed_by.is_(None), Delivery.claim_until < now),
    ]
    if not ignore_backoff:
        conditions.append(or_(Delivery.next_attempt.is_(None), Delivery.next_attempt <= now))
    return conditions


def _reload(session: Session, ids: list[int]) -> list[Delivery]:
    """The rows ``ids`` as the database now has them (an UPDATE above changed them)."""
    if not ids:
        return []
    stmt = select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)
    return list(session.scalars(stmt.execution_options(populate_existing=True)))
