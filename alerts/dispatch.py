"""Sending what the outbox holds: one digest per (watch, channel) over every due delivery.

A dispatch first expires what waited too long, then renders each (watch, channel) digest and
sends it a message at a time (a long digest has several parts): claim the message's rows and
commit, send, record the outcome and commit. Committing the claim first is what keeps two runs
at once from sending a row twice; recording each message as soon as it is sent is what limits
a crash to repeating at most the one message that was on the wire.

A scheduled watch's rows are due at their slot (`alerts.schedule`); until then they wait.
Failures come back as values in the `DispatchReport`; failed rows stay queued for the next
run, after their backoff. A failure stays where it happened: a story that cannot be read or
rendered fails its own row, a digest that raises while rendered or sent fails its own rows,
and every other digest of the dispatch still goes out.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from alerts.digest import Copy, Digest, DigestItem, Message, WatchInfo
from alerts.schedule import INSTANT, Schedule
from store.db import database_reason, database_unavailable
from store.models import Delivery, DeliveryKind, Match, Story, utcnow
from store.outbox import (
    DEFAULT_EXPIRY,
    claim_deliveries,
    due_deliveries,
    expire_deliveries,
    mark_failed,
    mark_sent,
    new_claimant,
)

if TYPE_CHECKING:
    from alerts.deliver import Channel

__all__ = ["ChannelOutcome", "DispatchReport", "digest_item", "dispatch_due"]

# Longest error kept on a row when rendering or sending raised, rather than failed as a value.
_MAX_ERROR_CHARS = 400

# A message went out and recording it failed for a moment (the database went away): try the
# record again for half a minute, rather than leave the rows claimed, to be sent again once
# the claim runs out.
RECORD_RETRY_PAUSES_S = (1, 2, 4, 8, 16)


@dataclass(frozen=True, kw_only=True)
class ChannelOutcome:
    """One digest sent (or not) to one channel for one watch; `stories` it carried.

    Site health messages (`kind` "health") are counted the same way: `watch` is
    ``health:SITE`` and `stories` the number of messages.
    """

    watch: str
    channel: str
    stories: int
    ok: bool
    error: str | None = None
    kind: str = DeliveryKind.ALERT

    @property
    def about(self) -> str:
        """What it was for: "watch putin", "site courier's health"."""
        if self.kind == DeliveryKind.HEALTH:
            return f"site {self.watch.partition(':')[2]}'s health"
        return f"watch {self.watch}"

    @property
    def what(self) -> str:
        """What went (or not), counted: "2 stories", "1 health message"."""
        if self.kind == DeliveryKind.HEALTH:
            return f"{self.stories} health message{'' if self.stories == 1 else 's'}"
        return f"{self.stories} {'story' if self.stories == 1 else 'stories'}"


@dataclass(kw_only=True)
class DispatchReport:
    """What a dispatch did. `expiries` are the groups given up on, with their last error;
    `waiting` counts deliveries of scheduled watches held for their next slot;
    `database_retries` are what the database said when recording an outcome failed for a
    moment and was done on a later try."""

    sent: list[ChannelOutcome] = field(default_factory=list)
    failed: list[ChannelOutcome] = field(default_factory=list)
    expiries: list[ChannelOutcome] = field(default_factory=list)
    waiting: int = 0
    database_retries: list[str] = field(default_factory=list)

    @property
    def expired(self) -> int:
        """How many deliveries expired unsent."""
        return sum(outcome.stories for outcome in self.expiries)


def dispatch_due(
    sessions: sessionmaker[Session],
    channels: Mapping[str, str],
    *,
    schedules: Mapping[str, Schedule] | None = None,
    watches: Mapping[str, WatchInfo] | None = None,
    expire_after: timedelta = DEFAULT_EXPIRY,
    ignore_backoff: bool = False,
    clock: Callable[[], datetime] = utcnow,
) -> DispatchReport:
    """Send every due delivery, grouped into one digest per watch and channel.

    `channels` maps channel names to Apprise URLs; `schedules` maps watch names to their
    delivery schedule (instant when missing), `watches` to what their digests say of them
    (query, place in the config). `ignore_backoff` retries failed rows now.
    """
    schedules = schedules or {}
    watches = watches or {}

    def due_at(delivery: Delivery) -> datetime:
        return schedules.get(delivery.watch, INSTANT).due_at(delivery.created)

    report = DispatchReport()
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    now = clock()
    with sessions.begin() as session:
        expired = expire_deliveries(session, older_than=expire_after, now=now, became_due=due_at)
        report.expiries = _expiries(expired)
        for delivery in due_deliveries(session, now=now, ignore_backoff=ignore_backoff):
            if due_at(delivery) <= now:
                groups[(delivery.kind, delivery.watch, delivery.channel)].append(delivery.id)
            else:
                report.waiting += 1

    claimant = new_claimant()
    for (kind, watch, channel), ids in groups.items():
        group = _Group(
            kind=kind,
            watch=watch,
            info=watches.get(watch) or WatchInfo(name=watch),
            channel=channel,
            sessions=sessions,
            claimant=claimant,
            clock=clock,
            ignore_backoff=ignore_backoff,
        )
        url = channels.get(channel)
        if url is None:
            group.fail(ids, f"channel {channel!r} is not in the config any more")
        elif kind == DeliveryKind.HEALTH:
            group.send_each(url, ids)
        else:
            group.send(url, ids, schedules.get(watch, INSTANT).tz)
        group.report_to(report)
    return report


@dataclass(kw_only=True)
class _Group:
    """One (watch, channel) digest being sent, one message at a time (or the site health
    messages of one site for a channel, each its own message).

    Each message's rows are claimed (and the claim committed) just before it is sent, and
    recorded just after, so a crash repeats at most the message on the wire, and holds back
    nothing else: the rows of later parts are still unclaimed.
    """

    kind: str
    watch: str
    info: WatchInfo
    channel: str
    sessions: sessionmaker[Session]
    claimant: str
    clock: Callable[[], datetime]
    ignore_backoff: bool
    sent: int = 0
    failed: int = 0
    error: str | None = None
    #: Rows this run recorded (sent or failed), which nothing may touch again.
    _settled: set[int] = field(default_factory=set, init=False, repr=False)
    #: When each row this run claimed was made, for its messages' keys.
    _created: dict[int, datetime] = field(default_factory=dict, init=False, repr=False)
    database_retries: list[str] = field(default_factory=list)

    def send(self, url: str, ids: Sequence[int], tz: tzinfo | None) -> None:
        """Send the digest of `ids`; whatever goes wrong fails these rows, never the run."""
        # Here, not at the top: Apprise loads its plugins on import (a quarter of a second),
        # and a run with nothing to send should not pay for them.
        from alerts.deliver import Channel

        try:
            with Channel(url) as channel:
                if channel.failure:
                    self.fail(ids, channel.failure.error)
                    return
                self._send(channel, ids, tz)
        except Exception as exc:  # a stored value or a bug no check foresaw: this group fails
            if database_unavailable(exc):
                raise  # not this digest's fault: the step is tried again
            self._give_up(ids, f"could not render or send the digest: {_describe(exc)}")

    def _send(self, channel: Channel, ids: Sequence[int], tz: tzinfo | None) -> None:
        stories, messages = self._prepare(channel, ids, tz)
        ids = sorted(stories)
        done: set[int] = set()
        for message in messages:
            part = [ids[i] for i in message.items]
            done.update(part)
            won = self._claim(part)
            if not won:
                continue  # another run is sending these
            order, to_send = ids, [message]
            if set(won) != set(part):  # another run took some: send ours on their own
                order, to_send = won, channel.render(self._digest(won, stories), tz=tz)
            keys = [self._key([order[i] for i in m.items]) for m in to_send]
            outcome = channel.send(to_send, keys=keys)
            wait = outcome.retry_after
            self._record(won, {order[i] for i in outcome.delivered}, outcome.error, wait)
            if not outcome.ok:  # the rest of the digest waits too, with the same error
                self.fail([i for i in ids if i not in done], outcome.error, wait)
                return

    def _prepare(self, channel: Channel, ids: Sequence[int], tz: tzinfo | None
                 ) -> tuple[dict[int, DigestItem], list[Message]]:
        """The stories of `ids` by row, and their digest as the channel's messages.

        When they cannot all be read and rendered together, each story is tried alone: one
        that still fails is recorded as failed with its error, and the digest goes without it.
        """
        try:
            stories = self._stories(ids)
            return stories, channel.render(self._digest(sorted(stories), stories), tz=tz)
        except Exception as exc:  # each story alone, below
            if database_unavailable(exc):
                raise
        stories = {}
        for row in ids:
            try:
                story = self._stories([row])
                channel.render(self._digest(list(story), story), tz=tz)
            except Exception as exc:
                if database_unavailable(exc):
                    raise
                self.fail([row], f"could not read or render this story: {_describe(exc)}")
            else:
                stories.update(story)
        return stories, channel.render(self._digest(sorted(stories), stories), tz=tz)

    def _stories(self, ids: Sequence[int]) -> dict[int, DigestItem]:
        """Each row's story as the digest shows it, by row id (rows gone are left out)."""
        with self.sessions() as session:
            # Every row's match, matched article and story's other copies in three queries,
            # rather than three lazy loads per row.
            match = selectinload(Delivery.match)
            rows = session.scalars(select(Delivery).where(Delivery.id.in_(ids)).options(
                match.selectinload(Match.article),
                match.selectinload(Match.story).selectinload(Story.articles)))
            return {row.id: digest_item(row) for row in rows}

    def send_each(self, url: str, ids: Sequence[int]) -> None:
        """Send rows that carry their own text (site health messages) one message each, in
        order; after a refusal the rest wait too, as a digest's later parts do. Whatever
        goes wrong fails these rows, never the run."""
        from alerts.deliver import Channel  # see `send`

        try:
            with Channel(url) as channel:
                if channel.failure:
                    self.fail(ids, channel.failure.error)
                    return
                self._send_each(channel, ids)
        except Exception as exc:  # as in `send`: these rows fail, not the run
            if database_unavailable(exc):
                raise
            self._give_up(ids, f"could not send the message: {_describe(exc)}")

    def _send_each(self, channel: Channel, ids: Sequence[int]) -> None:
        with self.sessions() as session:
            rows = session.scalars(select(Delivery).where(Delivery.id.in_(ids)))
            texts = {row.id: Message(title=row.title or "", body=row.body or "",
                                     body_format="text") for row in rows}
        ids = sorted(texts)
        for n, row_id in enumerate(ids):
            if not self._claim([row_id]):
                continue  # another run is sending it
            outcome = channel.send(
                [texts[row_id]], passthrough=False, keys=[self._key([row_id])]
            )
            wait = outcome.retry_after
            self._record([row_id], {row_id} if outcome.ok else set(), outcome.error, wait)
            if not outcome.ok:
                self.fail(ids[n + 1:], outcome.error, wait)
                return

    def fail(
        self, ids: Sequence[int], error: str | None, wait: timedelta | None = None
    ) -> None:
        """Record a failed attempt on those of `ids` this run can claim."""
        self._record(self._claim(ids), set(), error, wait)

    def _give_up(self, ids: Sequence[int], error: str) -> None:
        """Fail what is left of `ids`: the rows this run holds, then those still unsettled."""
        self._record(ids, set(), error)  # only the rows still claimed by this run
        self.fail([i for i in ids if i not in self._settled], error)

    def report_to(self, report: DispatchReport) -> None:
        report.database_retries += self.database_retries
        common = {"kind": self.kind, "watch": self.watch, "channel": self.channel}
        if self.sent:
            report.sent.append(ChannelOutcome(**common, stories=self.sent, ok=True))
        if self.failed:
            report.failed.append(
                ChannelOutcome(**common, stories=self.failed, ok=False, error=self.error)
            )

    def _digest(self, ids: Sequence[int], stories: Mapping[int, DigestItem]) -> Digest:
        return Digest(watch=self.info, items=tuple(stories[i] for i in ids))

    def _claim(self, ids: Sequence[int]) -> list[int]:
        if not ids:
            return []
        with self.sessions.begin() as session:  # committed before anything is sent
            won = claim_deliveries(
                session,
                ids,
                claimant=self.claimant,
                now=self.clock(),
                ignore_backoff=self.ignore_backoff,
            )
            self._created.update((row.id, row.created) for row in won)
            return [row.id for row in won]

    def _key(self, ids: Sequence[int]) -> str:
        """A message's name for good, from its rows: the same rows sent again (after a crash,
        or a lost reply) give the same key, hence the same email Message-ID."""
        rows = ",".join(f"{i}@{self._created[i].isoformat()}" for i in sorted(ids))
        return "newswatch." + hashlib.sha256(rows.encode()).hexdigest()[:32]

    def _record(
        self,
        ids: Sequence[int],
        delivered: set[int],
        error: str | None,
        wait: timedelta | None = None,
    ) -> None:
        """Mark the claimed rows `ids`: those `delivered` sent, the others failed, to be
        tried again after their backoff and, if the service asked, no sooner than `wait`.

        Only rows this run still holds are written (a lease that ran out may have been
        claimed by another run, whose claim stands)."""
        if not ids:
            return
        error = error or "unknown error"
        for pause in (*RECORD_RETRY_PAUSES_S, None):
            try:
                with self.sessions.begin() as session:
                    now = self.clock()
                    sent = mark_sent(session, [i for i in ids if i in delivered],
                                     claimant=self.claimant, now=now)
                    failed = mark_failed(
                        session, [i for i in ids if i not in delivered], error,
                        claimant=self.claimant, now=now, not_before=now + wait if wait else None,
                    )
                break
            except SQLAlchemyError as exc:
                if pause is None or not database_unavailable(exc):
                    raise
                self.database_retries.append(database_reason(exc))
                time.sleep(pause)
        self._settled.update(sent + failed)
        self.sent += len(sent)
        self.failed += len(failed)
        if failed:
            self.error = error


def _expiries(expired: Sequence[Delivery]) -> list[ChannelOutcome]:
    groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in expired:
        groups[(delivery.watch, delivery.channel)].append(delivery)
    return [
        ChannelOutcome(
            watch=watch,
            channel=channel,
            stories=len(rows),
            ok=False,
            error=rows[-1].last_error or "never tried",
            kind=rows[-1].kind,
        )
        for (watch, channel), rows in groups.items()
    ]


def _describe(exc: Exception) -> str:
    """An unforeseen error as one short line, for a row's last error: the driver's own
    message for a database error, without SQLAlchemy's SQL echo."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    said = next((line for line in str(cause).splitlines() if line.strip()), "")
    text = " ".join(f"{type(cause).__name__}: {said}".split())
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"


def digest_item(delivery: Delivery) -> DigestItem:
    """A delivery's story as the digest shows it: the matched copy, and the first copy on
    each other site, linked."""
    article = delivery.match.article
    copies: dict[str, str] = {}
    for other in sorted(delivery.match.story.articles,
                        key=lambda a: (a.published or a.fetched, a.id)):
        if other.site != article.site:
            copies.setdefault(other.site, other.url)
    also_on = tuple(Copy(site, url) for site, url in copies.items())
    return DigestItem(
        headline=article.title,
        site=article.site,
        url=article.url,
        published=article.published or article.fetched,
        snippet=delivery.match.snippet,
        marks=tuple((int(a), int(b)) for a, b in delivery.match.marks),
        also_on=also_on,
    )
