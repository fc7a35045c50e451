"""Reading Retry-After, and the hooks that give Newswatch what Apprise does not hand back.

The hooks themselves are exercised by real sends in test_deliver.py and test_dispatch.py
(a 429 from Slack, a 503 from webhooks, emails with a stable Message-ID)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from alerts.apprise_hooks import LONGEST_RETRY_AFTER, Answer, answers, retry_after
from tests.alerts.receivers import HttpReceiver

NOW = datetime.now(UTC).replace(microsecond=0)


def answer(status: int, retry: str | None, date: datetime | None = None) -> Answer:
    return Answer(status=status, retry_after=retry,
                  date=format_datetime(date, usegmt=True) if date else None, received=NOW)


@pytest.mark.parametrize(
    ("heard", "wait"),
    [
        ([answer(429, "120")], timedelta(seconds=120)),
        ([answer(503, " 0 ")], timedelta(0)),
        # An HTTP date counts from the answer's own Date (the server's clock), else from
        # when it was received.
        ([answer(503, format_datetime(NOW + timedelta(hours=2), usegmt=True),
                 date=NOW + timedelta(hours=1))], timedelta(hours=1)),
        ([answer(503, format_datetime(NOW + timedelta(minutes=5), usegmt=True))],
         timedelta(minutes=5)),
        ([answer(429, format_datetime(NOW - timedelta(minutes=5), usegmt=True))], timedelta(0)),
        ([answer(429, "99999999999")], LONGEST_RETRY_AFTER),
        ([answer(429, "Fri, 31 Dec 9999 23:59:59 GMT")], LONGEST_RETRY_AFTER),
        ([answer(429, "soon")], None),
        ([answer(429, "-5")], None),
        ([answer(500, "120")], None),  # only a 429 or a 503 says when to come back
        ([answer(429, None)], None),
        ([answer(429, "60"), answer(503, "300")], timedelta(seconds=300)),  # the last one says
        ([], None),
    ],
)
def test_retry_after(heard: list[Answer], wait: timedelta | None) -> None:
    assert retry_after(heard) == wait


def test_answers_are_heard_only_inside_the_block() -> None:
    with HttpReceiver(status=429, headers={"Retry-After": "7"}) as receiver:
        requests.post(receiver.url(), timeout=5)
        with answers() as heard:
            requests.post(receiver.url(), timeout=5)
        requests.post(receiver.url(), timeout=5)
    assert [(a.status, a.retry_after) for a in heard] == [(429, "7")]
    assert heard[0].date  # http.server dates every answer
