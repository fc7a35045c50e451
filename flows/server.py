"""A Prefect server of Newswatch's own: ``prefect server start`` in a child process.

``newswatch ui`` runs one in the foreground; ``newswatch serve`` runs one for as long as it
serves when no ``PREFECT_API_URL`` is set. Both use Newswatch's Prefect home (see
:func:`prefect_home`), so runs, deployments and artifacts stay apart from other Prefect
projects on the machine. Prefect's own database is SQLite in that home unless
``PREFECT_SERVER_DATABASE_CONNECTION_URL`` names a PostgreSQL database.

While the server runs, its address is kept in ``HOME/server.json``; other ``newswatch``
commands on the machine then report to it (:func:`running_server`) instead of starting a
temporary server of their own, which costs several seconds and keeps no history.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "LocalServer",
    "ServerError",
    "free_port",
    "local_server",
    "prefect_home",
    "running_server",
    "server_settings",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200  # Prefect's own default, so its docs and habits apply
STARTUP_TIMEOUT_S = 180  # a first start migrates Prefect's database, slow on a busy machine
STOP_TIMEOUT_S = 20
_RECORD = "server.json"


class ServerError(RuntimeError):
    """The Prefect server could not be started; the message says why, with its last output."""


@dataclass(frozen=True)
class LocalServer:
    """A Prefect server on this machine; ``started`` is False when it was already running."""

    url: str  # the UI; the API is under /api
    started: bool
    process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def prefect_home() -> Path:
    """``$PREFECT_HOME`` when set, else ``$NEWSWATCH_HOME/prefect`` (``~/.newswatch/prefect``)."""
    if os.environ.get("PREFECT_HOME"):
        return Path(os.environ["PREFECT_HOME"]).expanduser()
    return Path(os.environ.get("NEWSWATCH_HOME", "~/.newswatch")).expanduser() / "prefect"


def running_server(home: Path) -> str | None:
    """The API URL of the Newswatch Prefect server running with ``home``, if one is."""
    try:
        record = json.loads((home / _RECORD).read_text(encoding="utf-8"))
        pid, api_url = int(record["pid"]), str(record["api_url"])
        os.kill(pid, 0)  # raises when no such process is left
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return api_url


@contextmanager
def local_server(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    log: Path | None = None,
    timeout: float = STARTUP_TIMEOUT_S,
) -> Iterator[LocalServer]:
    """Start ``prefect server start`` on ``host:port`` and stop it on exit.

    A Prefect server already answering there is used as it is (``started=False``). The
    child's output goes to ``log`` (appended), else to this process's output.
    """
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    if _healthy(url):
        yield LocalServer(url=url, started=False)
        return
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **server_settings(host, port, url), "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host,
               "--port", str(port)]
    output = log.open("ab") if log else None
    # Its own process group: a Ctrl-C meant for us reaches the server once, through stop().
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=output,
                               stderr=subprocess.STDOUT if output else None,
                               start_new_session=True)
    record = home / _RECORD
    try:
        _wait_until_healthy(url, process, timeout, log)
        record.write_text(json.dumps({"pid": process.pid, "api_url": f"{url}/api"}))
        yield LocalServer(url=url, started=True, process=process)
    finally:
        if running_server(home) == f"{url}/api":
            record.unlink(missing_ok=True)
        _stop(process)
        if output:
            output.close()


def server_settings(host: str, port: int, url: str) -> dict[str, str]:
    """The child server's Prefect settings: its real address, and Newswatch's choices.

    The UI asks ``/ui-settings`` where the API is; without its own host and port the server
    answers Prefect's default ``:4200`` and the UI on any other port shows no runs. A UI API
    URL the user set (a proxy in front, say) is kept.
    """
    settings = {"PREFECT_SERVER_API_HOST": host, "PREFECT_SERVER_API_PORT": str(port)}
    if not ({"PREFECT_UI_API_URL", "PREFECT_SERVER_UI_API_URL"} & os.environ.keys()):
        settings["PREFECT_UI_API_URL"] = f"{url}/api"
    for name, value in _SERVER_DEFAULTS.items():
        settings[name] = os.environ.get(name, value)
    return settings


# Prefect settings of the servers Newswatch starts, unless the user set them otherwise.
_SERVER_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",  # upgrade prompts, marketing panels
}


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float,
                        log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if process.poll() is not None:
            said = f"; its last output:\n{_tail(log)}" if log else ""
            raise ServerError(
                f"the Prefect server exited with status {process.returncode} before it "
                f"answered on {url}{said}"
            )
        if time.monotonic() > deadline:
            raise ServerError(f"the Prefect server did not answer on {url} within {timeout:g} s")
        time.sleep(0.5)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (it has children), then SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 15) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as text:
            return "".join(deque(text, maxlen=lines))
    except OSError:
        return ""
