"""The console:// channel prints alerts in the terminal."""

from __future__ import annotations

from datetime import UTC, datetime

import apprise
import pytest

import alerts.deliver  # noqa: F401  (registers console://)
from alerts.deliver import DeliveryOutcome, send_digest, send_text
from alerts.digest import Digest, DigestItem, WatchInfo


def test_importing_deliver_registers_console() -> None:
    assert apprise.Apprise.instantiate("console://") is not None


def test_send_text_prints_title_then_body(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = send_text("console://", "Newswatch test", "It works.\nSecond line.")
    assert outcome == DeliveryOutcome(ok=True, parts=1)
    assert capsys.readouterr().out == (
        "Newswatch test\n--------------\nIt works.\nSecond line.\n\n"
    )


def test_digest_prints_readably_without_terminal_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    item = DigestItem(
        headline="Putin\x1b[2J lands\r\nin Paris",
        site="Le Monde",
        url="https://news.example/a",
        published=datetime(2024, 5, 1, 12, 3, tzinfo=UTC),
        snippet="\x1b]8;;http://evil.example\x07Putin\x1b]8;;\x07 arrived.",
        marks=((25, 30),),
    )
    digest = Digest(watch=WatchInfo(name="putin-visit"), items=(item,))
    outcome = send_digest("console://", digest, tz=UTC)
    assert outcome.ok
    assert capsys.readouterr().out == (
        "putin-visit: 1 new story\n"
        "------------------------\n"
        "Putin[2J lands in Paris\n"
        "https://news.example/a\n"
        "Le Monde · 2024-05-01 12:03 UTC\n"
        "]8;;http://evil.example*Putin*]8;; arrived.\n"
        "\n"
    )
