"""Sending what the outbox holds: one digest per (watch, channel) over every due delivery.

Failures come back as values in the ``DispatchReport``; rows stay queued for the next run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from alerts.deliver import send_digest
from alerts.digest import Digest, DigestItem
from store.models import Delivery
from store.outbox import due_deliveries, expire_deliveries, mark_failed, mark_sent


@dataclass(frozen=True, kw_only=True)
class ChannelOutcome:
    """One digest sent (or not) to one channel for one watch."""

    watch: str
    channel: str
    stories: int
    ok: bool
    error: str | None = None


@dataclass(kw_only=True)
class DispatchReport:
    sent: list[ChannelOutcome] = field(default_factory=list)
    failed: list[ChannelOutcome] = field(default_factory=list)
    expired: int = 0


def dispatch_due(session: Session, channels: Mapping[str, str]) -> DispatchReport:
    """Send every due delivery, grouped into one digest per watch and channel."""
    report = DispatchReport(expired=len(expire_deliveries(session)))
    groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in due_deliveries(session):
        groups[(delivery.watch, delivery.channel)].append(delivery)
    for (watch, channel), deliveries in groups.items():
        url = channels.get(channel)
        if url is None:
            ok, error = False, f"channel {channel!r} is not in the config any more"
        else:
            digest = Digest(watch=watch, items=tuple(digest_item(d) for d in deliveries))
            outcome = send_digest(url, digest)
            ok, error = outcome.ok, outcome.error
        result = ChannelOutcome(
            watch=watch, channel=channel, stories=len(deliveries), ok=ok, error=error
        )
        if ok:
            mark_sent(deliveries)
            report.sent.append(result)
        else:
            mark_failed(deliveries, error or "unknown error")
            report.failed.append(result)
    return report


def digest_item(delivery: Delivery) -> DigestItem:
    """A delivery's story as the digest shows it: the matched copy, and the other sites."""
    article = delivery.match.article
    also_on = tuple(
        dict.fromkeys(a.site for a in delivery.match.story.articles if a.site != article.site)
    )
    return DigestItem(
        headline=article.title,
        site=article.site,
        url=article.url,
        published=article.published or article.fetched,
        snippet=delivery.match.snippet,
        marks=tuple((int(a), int(b)) for a, b in delivery.match.marks),
        also_on=also_on,
    )
