"""What Apprise does not hand back: the HTTP answers of a send, and an email's Message-ID.

Apprise's plugins post through `requests` and report a refusal by logging it and returning
False, so the `Retry-After` of a 429 or 503 never reaches the caller; and its email plugin
gives every message a new random Message-ID, so a message sent again looks new to mail
clients. Two hooks, installed once on import and idle outside their `with` blocks, fill the
gaps:

- `answers()` records the status and the timing headers of every HTTP response received in
  its block (in this thread, and in Apprise's worker threads, which run in a copy of the
  caller's context);
- `message_id(key)` makes the emails built in its block carry `<key@host>` as their
  Message-ID, the host being the one Apprise would have used.

`retry_after(answers)` reads how long the service asked to wait.
"""

from __future__ import annotations

import email.utils
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import apprise.plugins.email.base as apprise_email
import requests

__all__ = ["Answer", "answers", "message_id", "retry_after"]

#: Answers that may carry a Retry-After worth obeying: Too Many Requests, Service Unavailable.
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: A longer wait is taken as this (an outbox row expires before then anyway).
LONGEST_RETRY_AFTER = timedelta(days=30)

_ANSWERS: ContextVar[list[Answer] | None] = ContextVar("newswatch_answers", default=None)
_MESSAGE_ID: ContextVar[str | None] = ContextVar("newswatch_message_id", default=None)


@dataclass(frozen=True, kw_only=True)
class Answer:
    """One HTTP response as far as retrying goes: its status and timing headers."""

    status: int
    retry_after: str | None = None
    date: str | None = None
    received: datetime


@contextmanager
def answers() -> Iterator[list[Answer]]:
    """The HTTP answers received inside the block, in order."""
    heard: list[Answer] = []
    token = _ANSWERS.set(heard)
    try:
        yield heard
    finally:
        _ANSWERS.reset(token)


@contextmanager
def message_id(key: str | None) -> Iterator[None]:
    """Emails built inside the block get the Message-ID `<key@host>` (None: Apprise's own)."""
    token = _MESSAGE_ID.set(key)
    try:
        yield
    finally:
        _MESSAGE_ID.reset(token)


def retry_after(heard: list[Answer]) -> timedelta | None:
    """How long the last 429 or 503 answer asked to wait, from its Retry-After (seconds, or
    an HTTP date taken against the answer's own Date); None when it did not say."""
    for answer in reversed(heard):
        if answer.status in RETRY_AFTER_STATUSES and answer.retry_after:
            wait = _wait(answer)
            if wait is not None:
                return min(max(wait, timedelta(0)), LONGEST_RETRY_AFTER)
    return None


def _wait(answer: Answer) -> timedelta | None:
    value = (answer.retry_after or "").strip()
    if value.isdigit():
        return timedelta(seconds=min(int(value), int(LONGEST_RETRY_AFTER.total_seconds())))
    until = _http_date(value)
    if until is None:
        return None
    # The server's own clock says when it answered; ours may be off from it.
    return until - (_http_date(answer.date) or answer.received)


def _http_date(value: str | None) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _install_answer_hook() -> None:
    """Every `requests` session reports its responses to the innermost `answers()` block."""
    send = requests.Session.send
    if getattr(send, "newswatch_hook", False):
        return

    @functools.wraps(send)
    def send_and_record(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        response = send(self, request, **kwargs)
        heard = _ANSWERS.get()
        if heard is not None:
            headers = response.headers
            heard.append(Answer(status=response.status_code,
                                retry_after=headers.get("Retry-After"),
                                date=headers.get("Date"), received=datetime.now(UTC)))
        return response

    send_and_record.newswatch_hook = True  # type: ignore[attr-defined]
    requests.Session.send = send_and_record  # type: ignore[method-assign]


def _install_message_id_hook() -> None:
    """Apprise's email plugin asks `make_msgid` for each message's Message-ID."""
    make_msgid = apprise_email.make_msgid
    if getattr(make_msgid, "newswatch_hook", False):
        return

    @functools.wraps(make_msgid)
    def stable_msgid(idstring: str | None = None, domain: str | None = None) -> str:
        key = _MESSAGE_ID.get()
        if key is None:
            return make_msgid(idstring=idstring, domain=domain)
        return f"<{key}@{domain or 'newswatch.invalid'}>"

    stable_msgid.newswatch_hook = True  # type: ignore[attr-defined]
    apprise_email.make_msgid = stable_msgid


_install_answer_hook()
_install_message_id_hook()
