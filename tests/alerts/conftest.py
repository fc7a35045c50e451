"""Loopback channels for alert tests: webhook, Slack and SMTP receivers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apprise.plugins.slack import NotifySlack

from tests.alerts.receivers import HttpReceiver, SmtpReceiver

# What the Slack plugin is given: three webhook tokens, as in a real channel URL.
SLACK_URL = "slack://T1ABCDEFG/B2HIJKLMN/c3secrettokenvalue"


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def slack_receiver(
    http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> HttpReceiver:
    """`SLACK_URL` posts to `http_receiver` (path /services/T…/B…/c…) for this test."""
    monkeypatch.setattr(NotifySlack, "webhook_url", http_receiver.url("http", "/services"))
    return http_receiver


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SmtpReceiver]:
    with SmtpReceiver(auth=True) as server:
        yield server


@pytest.fixture
def smtp_receiver(_smtp_server: SmtpReceiver) -> SmtpReceiver:
    """A loopback SMTP server accepting any login; `.messages` starts empty."""
    _smtp_server.messages.clear()
    _smtp_server.drop_replies = 0
    return _smtp_server
