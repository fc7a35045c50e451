"""``newswatch run``'s own choices (the run itself is tested in tests/flows/test_run.py)."""

from __future__ import annotations

import contextlib

from prefect.settings import get_current_settings

from flows.commands.run import without_heartbeats


def test_a_run_from_the_command_line_sends_no_heartbeats(monkeypatch):
    monkeypatch.delenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", raising=False)
    with without_heartbeats():
        assert get_current_settings().flows.heartbeat_frequency is None
    assert get_current_settings().flows.heartbeat_frequency is not None


def test_a_frequency_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "60")
    assert isinstance(without_heartbeats(), contextlib.nullcontext)
