"""Matches and the delivery outbox: a watch alerts a story once, on each of its channels.

A delivery row moves pending → sent, or → failed (retried with backoff) → sent, or → expired.
Most rows are a watch's story for a channel (``record_match``); a site health message is a
row too (``queue_message``), sent on its own and claimed, retried and expired the same way.

Sending a row is claim → send → record. ``claim_deliveries`` takes a lease on rows with one
atomic UPDATE that only touches rows still unsent and unclaimed (or whose lease ran out); the
caller commits the claim before it sends, so a second run at the same time finds the rows
claimed and leaves them alone, on SQLite (one writer at a time) as on PostgreSQL (the UPDATE
re-checks its condition on rows another transaction just changed). ``mark_sent`` and
``mark_failed`` record the outcome and release the lease, in one UPDATE that re-checks the
claim: a row whose lease ran out and that another run claimed since (or that expired) is left
as that run made it. A run that dies after sending and before recording leaves its rows
claimed; once the lease runs out the next run sends them again, which is the one repeat the
outbox allows: it never loses a delivery.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from store.db import insert_new
from store.models import Delivery, DeliveryKind, DeliveryState, Match, utcnow

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


def queue_message(session: Session, *, watch: str, channel: str, title: str, body: str) -> int:
    """Queue a message that carries its own text (a site health message) for ``channel``;
    ``watch`` names what it is about (``health:SITE``). Returns the row's id."""
    delivery = Delivery(kind=DeliveryKind.HEALTH, watch=watch, channel=channel, title=title,
                        body=body)
    session.add(delivery)
    session.flush()
    return delivery.id


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
        .values(state=DeliveryState.EXPIRED, next_attempt=None, claimed_by=None,
                claim_until=None)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return _reload(session, list(session.scalars(expire)))


def mark_sent(
    session: Session, ids: Sequence[int], *, claimant: str, now: datetime | None = None
) -> list[int]:
    """Record a successful attempt on those of ``ids`` that ``claimant`` still holds, and
    release them; returns the ids recorded (``_recorded`` says why the others are left)."""
    now = now or utcnow()
    return _recorded(session, ids, claimant, {
        "state": DeliveryState.SENT,
        "sent": now,
        "last_error": None,
        "next_attempt": None,
    })


def mark_failed(
    session: Session,
    ids: Sequence[int],
    error: str,
    *,
    claimant: str,
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> list[int]:
    """Record a failed attempt on those of ``ids`` that ``claimant`` still holds, and release
    them; returns the ids recorded.

    The next attempt waits twice as long as the one before, up to an hour (``retry_delay``),
    and never less than until ``not_before`` (what the service asked for: Retry-After).
    """
    now = now or utcnow()
    failed = _recorded(session, ids, claimant, {
        "state": DeliveryState.FAILED,
        "last_error": error,
    })
    # The rows are this transaction's now (locked on PostgreSQL, the write lock on SQLite).
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for row_id, attempts in session.execute(
        select(Delivery.id, Delivery.attempts).where(Delivery.id.in_(failed))
    ):
        by_attempts[attempts].append(row_id)
    for attempts, same in by_attempts.items():
        next_attempt = now + retry_delay(attempts)
        if not_before is not None:
            next_attempt = max(next_attempt, not_before)
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(same))
            .values(next_attempt=next_attempt)
            .execution_options(synchronize_session=False)
        )
    return failed


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


def _recorded(
    session: Session, ids: Sequence[int], claimant: str, values: dict[str, object]
) -> list[int]:
    """Set ``values`` on those of ``ids`` still claimed by ``claimant``, count the attempt and
    release the claim; returns the ids changed.

    The claim is checked by the UPDATE itself, not read first: between a read and a write,
    the lease may run out and another run claim the row, and its claim would be overwritten.
    """
    if not ids:
        return []
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.claimed_by == claimant)
        .values(**values, attempts=Delivery.attempts + 1, claimed_by=None, claim_until=None)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt))
