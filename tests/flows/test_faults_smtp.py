"""A mail server that cuts the connection after DATA, before its reply: the mail arrived, and
Newswatch cannot know it did. The delivery counts as failed and exactly one more attempt
follows, never none and never two, with the same Message-ID, so mail clients can tell the
second copy for what it is."""

from __future__ import annotations

from sqlalchemy import select

from store.db import session_factory
from store.models import Delivery, DeliveryState
from tests.flows.test_alerts import write_config


def test_a_lost_smtp_reply_is_followed_by_exactly_one_more_attempt(
    tmp_path, sqlite_url, sample_site, smtp_receiver, newswatch
):
    watches = [{"name": "putin-visit", "query": "Putin visit", "notify": ["mail"]}]
    config = write_config(tmp_path, sqlite_url, sample_site,
                          channels={"mail": smtp_receiver.url()}, watches=watches)
    smtp_receiver.drop_replies = 1

    first = newswatch("run", "--config", config)
    assert first.returncode == 1, first.stderr[-3000:]
    failure = first.stderr.split("newswatch: the run failed:\n", 1)[1].splitlines()
    assert failure == [
        f"  channel mail (watch putin-visit): mailto://127.0.0.1:{smtp_receiver.port}: "
        'Sending email to "b@y.example" failed.'
    ]
    assert len(smtp_receiver.messages) == 1  # it did arrive
    assert states(sqlite_url) == {(DeliveryState.FAILED, 1)}

    retry = newswatch("alerts", "retry", "--config", config)
    assert retry.returncode == 0 and retry.stdout.startswith("putin-visit → mail: sent ")
    assert len(smtp_receiver.messages) == 2
    assert states(sqlite_url) == {(DeliveryState.SENT, 2)}

    # Nothing more: not by the next run, not by another retry.
    again = newswatch("run", "--config", config)
    assert again.returncode == 0, again.stderr[-3000:]
    assert newswatch("alerts", "retry", "--config", config).stdout == "Nothing to send.\n"
    assert len(smtp_receiver.messages) == 2

    first_copy, second_copy = (m.message for m in smtp_receiver.messages)
    assert first_copy["Subject"] == second_copy["Subject"]
    assert first_copy.get_all("Message-ID") == second_copy.get_all("Message-ID")


def states(database_url: str) -> set[tuple[str, int]]:
    with session_factory(database_url)() as session:
        return {(d.state, d.attempts) for d in session.scalars(select(Delivery))}
