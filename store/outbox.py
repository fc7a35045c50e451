"""Matches and the delivery outbox: a watch alerts a story once, on each of its channels.

A delivery row moves pending → sent, or → failed (retried with backoff) → sent, or → expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Delivery, DeliveryState, Match, utcnow

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
DEFAULT_EXPIRY = timedelta(days=3)


@dataclass(frozen=True, kw_only=True)
class NewMatch:
    watch: str
    story_id: int
    article_id: int
    snippet: str
    marks: tuple[tuple[int, int], ...]


def record_match(session: Session, match: NewMatch, channels: Sequence[str]) -> Match | None:
    """Record a (watch, story) match and its pending deliveries; None if it was matched before."""
    exists = session.scalar(
        select(Match.id).where(Match.watch == match.watch, Match.story_id == match.story_id)
    )
    if exists is not None:
        return None
    row = Match(
        watch=match.watch,
        story_id=match.story_id,
        article_id=match.article_id,
        snippet=match.snippet,
        marks=[list(m) for m in match.marks],
    )
    try:
        with session.begin_nested():  # a concurrent run may record the same pair first
            session.add(row)
            session.flush()
            for channel in dict.fromkeys(channels):
                session.add(
                    Delivery(match=row, watch=match.watch, story_id=match.story_id, channel=channel)
                )
    except IntegrityError:
        return None
    return row


def due_deliveries(session: Session, *, now: datetime | None = None) -> list[Delivery]:
    """Deliveries to try now, oldest first."""
    now = now or utcnow()
    stmt = (
        select(Delivery)
        .where(Delivery.state.in_(DeliveryState.RETRYABLE))
        .where((Delivery.next_attempt.is_(None)) | (Delivery.next_attempt <= now))
        .order_by(Delivery.id)
    )
    return list(session.scalars(stmt))


def expire_deliveries(
    session: Session, *, older_than: timedelta = DEFAULT_EXPIRY, now: datetime | None = None
) -> list[Delivery]:
    """Give up on deliveries still unsent after ``older_than``; returns them for the report."""
    now = now or utcnow()
    stmt = (
        select(Delivery)
        .where(Delivery.state.in_(DeliveryState.RETRYABLE))
        .where(Delivery.created < now - older_than)
    )
    expired = list(session.scalars(stmt))
    for delivery in expired:
        delivery.state = DeliveryState.EXPIRED
    return expired


def mark_sent(deliveries: Sequence[Delivery], *, now: datetime | None = None) -> None:
    now = now or utcnow()
    for delivery in deliveries:
        delivery.state = DeliveryState.SENT
        delivery.attempts += 1
        delivery.sent = now
        delivery.last_error = None
        delivery.next_attempt = None


def mark_failed(deliveries: Sequence[Delivery], error: str, *, now: datetime | None = None) -> None:
    """Record a failed attempt; the next one waits twice as long as the last, up to an hour."""
    now = now or utcnow()
    for delivery in deliveries:
        delivery.state = DeliveryState.FAILED
        delivery.attempts += 1
        delivery.last_error = error
        delivery.next_attempt = now + retry_delay(delivery.attempts)


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
