"""Dispatching the outbox: one digest per (watch, channel), retries, schedules, expiry, and
never twice, even with two dispatches at once or a crash between sending and recording."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import select, text, update

import alerts.dispatch
from alerts.digest import WatchInfo
from alerts.dispatch import ChannelOutcome, dispatch_due
from alerts.schedule import parse_schedule
from store.articles import save_articles
from store.db import session_factory
from store.items import Article as Crawled
from store.models import Delivery, DeliveryState, Match
from store.outbox import CLAIM_LEASE, NewMatch, claim_deliveries, due_deliveries, record_match
from tests.alerts.conftest import SLACK_URL
from tests.alerts.receivers import HttpReceiver
from tests.alerts.stories import NOW, add_stories


def headlines(receiver: HttpReceiver, requests: slice = slice(None)) -> Counter[str]:
    """How often each story headline reached the receiver (in those of its requests)."""
    return Counter(
        found
        for request in receiver.requests[requests]
        for found in re.findall(r"^(\S+ story \d+)$", request.json["message"], re.MULTILINE)
    )


def states(database_url: str) -> dict[str, tuple[str, int]]:
    """Each delivery's (state, attempts), by 'watch/channel/story id'."""
    with session_factory(database_url)() as session:
        return {
            f"{d.watch}/{d.channel}/{d.story_id}": (d.state, d.attempts)
            for d in session.scalars(select(Delivery))
        }


@pytest.fixture
def receivers():
    with HttpReceiver() as first, HttpReceiver() as second:
        yield first, second


def test_one_digest_per_watch_and_channel(database_url, receivers) -> None:
    team, me = receivers
    channels = {"team": team.url("json", "/team"), "me": me.url("json", "/me")}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        putin = add_stories(session, "putin", ["team", "me"], 3)
        floods = add_stories(session, "floods", ["team"], 2)

    report = dispatch_due(sessions, channels)
    assert sorted(report.sent, key=lambda o: (o.watch, o.channel)) == [
        ChannelOutcome(watch="floods", channel="team", stories=2, ok=True),
        ChannelOutcome(watch="putin", channel="me", stories=3, ok=True),
        ChannelOutcome(watch="putin", channel="team", stories=3, ok=True),
    ]
    assert sorted(r.json["title"] for r in team.requests) == [
        "floods: 2 new stories",
        "putin: 3 new stories",
    ]
    assert headlines(team) == Counter(putin + floods) and headlines(me) == Counter(putin)
    assert set(states(database_url).values()) == {(DeliveryState.SENT, 1)}

    again = dispatch_due(sessions, channels)
    assert (again.sent, again.failed, len(team.requests)) == ([], [], 2)


def test_a_channel_that_is_down_is_retried_after_its_backoff(database_url, receivers) -> None:
    down, up = receivers
    down.status = 503
    channels = {"down": down.url("json", "/hook"), "up": up.url("json", "/hook")}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        stories = add_stories(session, "putin", ["down", "up"], 2)

    first = dispatch_due(sessions, channels)
    [failed] = first.failed
    assert (failed.channel, failed.stories) == ("down", 2) and "error=503" in failed.error
    assert [o.channel for o in first.sent] == ["up"]

    down.status, down.requests = 200, []  # …and it is back
    assert dispatch_due(sessions, channels).sent == []  # still within the backoff
    assert down.requests == []

    later = dispatch_due(sessions, channels, clock=lambda: datetime.now(UTC) + timedelta(minutes=2))
    assert [(o.channel, o.stories) for o in later.sent] == [("down", 2)]
    assert headlines(down) == Counter(stories) and headlines(up) == Counter(stories)
    assert len(up.requests) == 1  # the channel that worked is not sent to again
    assert {k.split("/")[1]: v for k, v in states(database_url).items()} == {
        "down": (DeliveryState.SENT, 2),
        "up": (DeliveryState.SENT, 1),
    }


@pytest.mark.parametrize("service", ["slack", "json"])
def test_a_service_that_asks_to_wait_is_not_tried_before_its_retry_after(
    service, database_url, slack_receiver
) -> None:
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["team"], 2)
    start = datetime.now(UTC)
    if service == "slack":  # Slack's rate limit: 429, Retry-After in seconds
        url, slack_receiver.status, asked = SLACK_URL, 429, "600"
    else:  # a webhook behind a proxy: 503, Retry-After as an HTTP date
        url, slack_receiver.status = slack_receiver.url("json", "/hook"), 503
        asked = format_datetime(start + timedelta(minutes=10), usegmt=True)
    slack_receiver.headers = {"Retry-After": asked}
    channels = {"team": url}

    [failed] = dispatch_due(sessions, channels, clock=lambda: start).failed
    assert failed.stories == 2 and "(Retry-After: " in failed.error
    with sessions() as session:
        waits = {d.next_attempt - start for d in session.scalars(select(Delivery))}
    assert all(timedelta(seconds=598) <= wait <= timedelta(seconds=601) for wait in waits)

    slack_receiver.status, slack_receiver.headers = 200, {}
    # The backoff alone (a minute after one failure) is over; the service's wait is not.
    at = lambda minutes: lambda: start + timedelta(minutes=minutes)  # noqa: E731
    assert dispatch_due(sessions, channels, clock=at(2)).sent == []
    assert len(slack_receiver.requests) == 1
    [sent] = dispatch_due(sessions, channels, clock=at(10.1)).sent
    assert sent.stories == 2 and len(slack_receiver.requests) == 2


def test_retry_now_ignores_the_backoff(database_url, receivers) -> None:
    down, _ = receivers
    down.status = 503
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["down"], 1)
    channels = {"down": down.url("json", "/hook")}
    assert dispatch_due(sessions, channels).failed
    down.status = 200
    assert dispatch_due(sessions, channels, ignore_backoff=True).sent
    assert len(down.requests) == 2


def test_a_digest_sent_in_part_records_the_stories_that_went_out(database_url, receivers):
    hook, _ = receivers

    class FailAfterFirst(list):
        def append(self, request) -> None:
            if self:
                hook.status = 503
            super().append(request)

    hook.requests = FailAfterFirst()
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["hook"], 30)
    with sessions.begin() as session:  # long snippets: the digest needs several parts
        for delivery in due_deliveries(session):
            delivery.match.snippet = "word " * 150

    report = dispatch_due(sessions, {"hook": hook.url("json", "/hook")})
    [sent], [failed] = report.sent, report.failed
    assert 0 < sent.stories < 30 and sent.stories + failed.stories == 30
    assert "error=503" in failed.error
    first_part = headlines(hook, slice(0, 1))  # the second request was refused
    assert sum(first_part.values()) == sent.stories

    hook.requests, hook.status = [], 200
    retry = dispatch_due(sessions, {"hook": hook.url("json", "/hook")}, ignore_backoff=True)
    assert [o.stories for o in retry.sent] == [failed.stories]
    assert not set(headlines(hook)) & set(first_part)  # nothing went out twice


def test_a_scheduled_watch_waits_for_its_slot_then_sends_one_digest(database_url, receivers):
    hook, _ = receivers
    channels = {"hook": hook.url("json", "/hook")}
    schedules = {"morning": parse_schedule("daily 08:00 Europe/Istanbul")}
    sessions = session_factory(database_url)
    # Tomorrow, 00:00 UTC; 08:00 in Istanbul is 05:00 UTC.
    day = datetime.combine(NOW.date() + timedelta(days=1), time(), UTC)
    with sessions.begin() as session:
        evening = add_stories(session, "morning", ["hook"], 2)
        instant = add_stories(session, "instant", ["hook"], 1)
    recorded_at(database_url, "morning", day - timedelta(hours=6))  # 21:00 the evening before

    def at(hours: float):
        return lambda: day + timedelta(hours=hours)

    report = dispatch_due(sessions, channels, schedules=schedules, clock=at(4))
    assert [o.watch for o in report.sent] == ["instant"] and report.waiting == 2
    assert headlines(hook) == Counter(instant)

    before = datetime.now(UTC)
    with sessions.begin() as session:
        later = add_stories(session, "morning", ["hook"], 1, first=2)
    recorded_at(database_url, "morning", day + timedelta(hours=3), since=before)  # 06:00 there
    report = dispatch_due(sessions, channels, schedules=schedules, clock=at(5.25))
    assert [(o.watch, o.stories) for o in report.sent] == [("morning", 3)]
    assert hook.requests[-1].json["title"] == "morning: 3 new stories"
    assert headlines(hook) == Counter(instant + evening + later)
    # Story times in the digest are shown in the watch's time zone.
    assert "+03" in hook.requests[-1].json["message"]


def recorded_at(database_url: str, watch: str, when: datetime, since=None) -> None:
    """Pretend the watch's deliveries (those recorded `since`) were recorded at `when`."""
    stmt = update(Delivery).where(Delivery.watch == watch)
    if since is not None:
        stmt = stmt.where(Delivery.created >= since)
    with session_factory(database_url).begin() as session:
        session.execute(stmt.values(created=when))


def test_deliveries_unsent_too_long_are_expired_and_reported(database_url, receivers) -> None:
    down, _ = receivers
    down.status = 503
    channels = {"down": down.url("json", "/hook")}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["down"], 2)
    dispatch_due(sessions, channels)
    in_four_days = lambda: datetime.now(UTC) + timedelta(days=4)  # noqa: E731

    kept = dispatch_due(sessions, channels, expire_after=timedelta(days=7), clock=in_four_days)
    assert kept.expiries == [] and [o.stories for o in kept.failed] == [2]

    report = dispatch_due(sessions, channels, clock=in_four_days)  # the default: 3 days
    [expired] = report.expiries
    assert (expired.watch, expired.channel, expired.stories) == ("putin", "down", 2)
    assert "error=503" in expired.error and report.expired == 2
    assert report.sent == report.failed == []
    assert {v for v in states(database_url).values()} == {(DeliveryState.EXPIRED, 2)}
    assert len(down.requests) == 2  # never tried again


def test_two_dispatches_at_once_send_each_delivery_once(database_url, receivers) -> None:
    team, me = receivers
    team.delay = me.delay = 0.2  # slow services: the dispatches overlap
    channels = {"team": team.url("json", "/team"), "me": me.url("json", "/me")}
    sessions = session_factory(database_url)
    expected = Counter()
    with sessions.begin() as session:
        for watch in ("putin", "floods", "heat", "rail"):
            expected.update(add_stories(session, watch, ["team", "me"], 2))

    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def dispatch() -> None:
        try:
            start.wait()
            dispatch_due(sessions, channels)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=dispatch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert headlines(team) == expected and headlines(me) == expected
    assert set(states(database_url).values()) == {(DeliveryState.SENT, 1)}


class Crash(BaseException):
    """The process dies: nothing after this line runs."""


def test_a_crash_between_sending_and_recording_repeats_one_message_at_most(
    database_url, receivers, monkeypatch
) -> None:
    hook, _ = receivers
    channels = {"hook": hook.url("json", "/hook")}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        putin = add_stories(session, "putin", ["hook"], 2)
        floods = add_stories(session, "floods", ["hook"], 1)

    def crash(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(alerts.dispatch._Group, "_record", crash)
    with pytest.raises(Crash):
        dispatch_due(sessions, channels)
    monkeypatch.undo()
    assert len(hook.requests) == 1  # one digest went out, and nothing was recorded
    sent_first = headlines(hook)

    # Its rows stay claimed by the dead run until the lease runs out; the others go now.
    report = dispatch_due(sessions, channels)
    assert len(report.sent) == 1 and len(hook.requests) == 2

    after_lease = lambda: datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1)  # noqa: E731
    report = dispatch_due(sessions, channels, clock=after_lease)
    assert len(report.sent) == 1 and len(hook.requests) == 3
    # Every story arrived; only the digest in flight at the crash arrived twice.
    assert headlines(hook) == Counter(putin + floods) + sent_first
    assert dispatch_due(sessions, channels, clock=after_lease).sent == []


def test_an_email_sent_again_after_a_crash_has_the_same_message_id(
    database_url, smtp_receiver, monkeypatch
) -> None:
    channels = {"mail": smtp_receiver.url()}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["mail"], 2)
        add_stories(session, "floods", ["mail"], 1)

    def crash(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(alerts.dispatch._Group, "_record", crash)
    with pytest.raises(Crash):
        dispatch_due(sessions, channels)
    monkeypatch.undo()
    after_lease = lambda: datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1)  # noqa: E731
    assert len(dispatch_due(sessions, channels, clock=after_lease).sent) == 2

    sent = [(m.message["Subject"], m.message.get_all("Message-ID"))
            for m in smtp_receiver.messages]
    assert [subject for subject, _ in sent] == [
        "putin: 2 new stories", "putin: 2 new stories", "floods: 1 new story"
    ]
    (_, first), (_, again), (_, other) = sent
    assert first == again and len(first) == 1  # mail clients see one message, twice
    assert re.fullmatch(r"<newswatch\.[0-9a-f]{32}@127\.0\.0\.1>", first[0])
    assert other != first


def test_a_crash_in_a_long_digest_holds_back_only_the_part_on_the_wire(
    database_url, receivers, monkeypatch
) -> None:
    hook, _ = receivers
    channels = {"hook": hook.url("json", "/hook")}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        stories = add_stories(session, "putin", ["hook"], 30)
    with sessions.begin() as session:  # long snippets: the digest needs several parts
        for delivery in due_deliveries(session):
            delivery.match.snippet = "word " * 150

    def crash(*args: object) -> None:
        raise Crash

    monkeypatch.setattr(alerts.dispatch._Group, "_record", crash)
    with pytest.raises(Crash):
        dispatch_due(sessions, channels)
    monkeypatch.undo()
    assert len(hook.requests) == 1 and "(1/" in hook.requests[0].json["title"]
    on_the_wire = headlines(hook)

    # The next run sends every other part now; the part on the wire waits for the lease.
    [sent] = dispatch_due(sessions, channels).sent
    assert sent.stories == 30 - sum(on_the_wire.values())
    after_lease = lambda: datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1)  # noqa: E731
    [repeat] = dispatch_due(sessions, channels, clock=after_lease).sent
    assert repeat.stories == sum(on_the_wire.values())
    assert headlines(hook) == Counter(stories) + on_the_wire


def test_a_run_whose_lease_ran_out_leaves_the_next_claim_alone(database_url, receivers):
    """Run A's lease runs out while it sends, run B claims the rows, and only then does A
    record its outcome: the rows stay B's, as B claimed them, on SQLite and PostgreSQL."""
    hook, _ = receivers
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["hook"], 2)
    go, claimed, commit = threading.Event(), threading.Event(), threading.Event()

    def run_b() -> None:  # holds its claim uncommitted until A is about to record
        go.wait(30)
        with sessions.begin() as session:
            ids = list(session.scalars(select(Delivery.id)))
            after_lease = datetime.now(UTC) + CLAIM_LEASE + timedelta(seconds=1)
            assert len(claim_deliveries(session, ids, claimant="run-b", now=after_lease)) == 2
            claimed.set()
            commit.wait(30)

    class ClaimedWhileSending(list):
        def append(self, request) -> None:
            super().append(request)
            go.set()
            claimed.wait(30)

    hook.requests = ClaimedWhileSending()
    reports: list = []
    b = threading.Thread(target=run_b)
    a = threading.Thread(target=lambda: reports.append(
        dispatch_due(sessions, {"hook": hook.url("json", "/hook")})))
    b.start()
    a.start()
    assert claimed.wait(30)
    # A has the service's answer and is recording: on PostgreSQL its UPDATE waits for B's
    # row locks; on SQLite its transaction waits for B's write lock.
    if database_url.startswith("postgresql"):
        waiting = text("SELECT count(*) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        with sessions() as session:
            deadline = datetime.now(UTC) + timedelta(seconds=30)
            while not session.scalar(waiting) and datetime.now(UTC) < deadline:
                session.rollback()
                threading.Event().wait(0.05)
    else:
        a.join(timeout=0.5)
    assert a.is_alive()
    commit.set()
    a.join(timeout=60)
    b.join(timeout=60)
    assert len(hook.requests) == 1
    [report] = reports
    assert (report.sent, report.failed) == ([], [])  # none of its rows were its own any more
    with sessions() as session:
        rows = session.scalars(select(Delivery)).all()
        assert {(r.state, r.attempts, r.claimed_by) for r in rows} == {
            (DeliveryState.PENDING, 0, "run-b")
        }


def test_a_channel_removed_from_the_config_fails_its_rows(database_url) -> None:
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["gone"], 1)
    [failed] = dispatch_due(sessions, {}).failed
    assert failed.error == "channel 'gone' is not in the config any more"
    with sessions() as session:
        [row] = session.scalars(select(Delivery))
        assert (row.state, row.claimed_by) == (DeliveryState.FAILED, None)


def test_claims_are_atomic(database_url) -> None:
    """The claim itself, raced from many threads: every row is won exactly once."""
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        add_stories(session, "putin", ["a", "b", "c"], 5)
        ids = [d.id for d in due_deliveries(session)]
    won: list[int] = []
    start = threading.Barrier(6)

    def claim(name: str) -> None:
        start.wait()
        for _ in range(3):
            with sessions.begin() as session:
                won.extend(d.id for d in claim_deliveries(session, ids, claimant=name))

    threads = [threading.Thread(target=claim, args=(f"run-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(won) == sorted(ids)


# -- a story that cannot be read or rendered fails alone -------------------------------------------

# Stored values no code of ours writes, as a hand edit or another tool may leave them: a time no
# datetime holds (SQLite keeps the text, PostgreSQL has 'infinity'), and marks that are no offsets.
UNREADABLE_TIME = {"sqlite": "10000-01-01 00:00:00.000000", "postgresql": "infinity"}


def poison(sessions, story_headline: str, kind: str) -> int:
    """Spoil the stored row behind one story; returns its delivery's id."""
    with sessions.begin() as session:
        [row] = [d for d in session.scalars(select(Delivery))
                 if d.match.article.title == story_headline]
        if kind == "time":
            backend = session.get_bind().dialect.name
            session.execute(text("UPDATE articles SET published = :bad WHERE id = :id"),
                            {"bad": UNREADABLE_TIME[backend], "id": row.match.article_id})
        else:
            session.execute(update(Match).where(Match.id == row.match_id)
                            .values(marks=[["start", "end"]]))
        return row.id


@pytest.mark.parametrize("kind", ["time", "marks"])
def test_a_story_that_cannot_be_read_fails_alone(database_url, receivers, kind) -> None:
    hook, _ = receivers
    channels = {"hook": hook.url("json", "/hook")}
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        putin = add_stories(session, "putin", ["hook"], 3)
        floods = add_stories(session, "floods", ["hook"], 1)
    poisoned = poison(sessions, putin[1], kind)

    report = dispatch_due(sessions, channels)

    assert sorted((o.watch, o.stories) for o in report.sent) == [("floods", 1), ("putin", 2)]
    [failed] = report.failed
    assert (failed.watch, failed.stories) == ("putin", 1)
    assert failed.error.startswith("could not read or render this story: ")
    assert "\n" not in failed.error and len(failed.error) < 500
    assert sorted(r.json["title"] for r in hook.requests) == [
        "floods: 1 new story", "putin: 2 new stories"]
    assert headlines(hook) == Counter([putin[0], putin[2], *floods])
    with sessions() as session:
        rows = {d.id: d for d in session.scalars(select(Delivery))}
    assert (rows[poisoned].state, rows[poisoned].attempts) == (DeliveryState.FAILED, 1)
    assert rows[poisoned].last_error == failed.error and rows[poisoned].claimed_by is None
    assert {(d.state, d.attempts) for i, d in rows.items() if i != poisoned} == {
        (DeliveryState.SENT, 1)}

    # It is retried like any failed row, and fails alone again; nothing else is sent twice.
    again = dispatch_due(sessions, channels, ignore_backoff=True)
    assert (again.sent, [o.stories for o in again.failed], len(hook.requests)) == ([], [1], 2)
    assert states(database_url)[f"putin/hook/{rows[poisoned].story_id}"] == (
        DeliveryState.FAILED, 2)


def test_a_digest_names_its_watch_and_links_each_copy(database_url, receivers) -> None:
    hook, _ = receivers
    body = " ".join(f"Sentence {n} of the wire copy about Putin and the visit." for n in range(9))
    copies = [Crawled(url=f"https://{site}.example/putin", canonical_url=f"https://{site}.example/"
                      "putin", site=site, title=f"{site} on Putin", text=body,
                      fetched=NOW - timedelta(minutes=10 - n))
              for n, site in enumerate(("courier", "ledger", "gazette", "ledger2"))]
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        saved = save_articles(session, copies)
        assert len({s.story_id for s in saved}) == 1  # one story, four copies
        record_match(session, NewMatch(watch="putin", story_id=saved[0].story_id,
                                       article_id=saved[0].article_id, snippet="s", marks=()),
                     ["hook"])
    watch = WatchInfo(name="putin", query="Putin visit", index=4, config="/etc/newswatch.yaml")

    assert dispatch_due(sessions, {"hook": hook.url("json", "/hook")}, watches={"putin": watch})
    data = hook.requests[0].json["digest"]
    assert data["watch"] == {"name": "putin", "query": "Putin visit", "config_key": "watches[4]",
                             "config_file": "/etc/newswatch.yaml"}
    [story] = data["stories"]
    assert (story["site"], story["url"]) == ("courier", "https://courier.example/putin")
    assert story["also_on"] == [{"site": site, "url": f"https://{site}.example/putin"}
                                for site in ("ledger", "gazette", "ledger2")]
    assert "This watch: watches[4] in /etc/newswatch.yaml" in hook.requests[0].json["message"]
