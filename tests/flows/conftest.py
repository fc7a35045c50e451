"""Flow tests: one Prefect test server for the session, the sample site, loopback channels."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.alerts.conftest import _smtp_server, http_receiver, smtp_receiver  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def prefect_api_url() -> Iterator[str]:
    """A Prefect test server; commands run as child processes talk to it through this URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture
def newswatch(prefect_api_url: str, tmp_path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real ``newswatch`` command against the test Prefect server."""
    command = Path(sys.executable).with_name("newswatch")
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(tmp_path)}

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(command), *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    return run


@pytest.fixture(scope="session")
def sample_site() -> Iterator[str]:
    from spiders.sample_server import serve_sample_site

    with serve_sample_site() as base_url:
        yield base_url
