"""Running the real ``newswatch run`` for a benchmark: a Prefect server, a config, a receiver.

:func:`prefect_server` starts ``prefect server start`` once, in its own ``PREFECT_HOME``, so
that the runs measured do not each pay for starting a temporary server; its start-up is left
out of every figure. :func:`newswatch_run` runs the installed ``newswatch`` command against it
and times the whole command: interpreter start, the flow, every crawl child, store, match,
deliver and the report.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from spiders.sample_server import serving

__all__ = ["HookReceiver", "RunResult", "newswatch_run", "prefect_server", "write_config",
           "crawl_seconds", "LOOPBACK_CRAWL"]

#: Crawl settings for a benchmark against our own loopback server: no politeness delays.
#: Concurrency per site is news-please's default, so both crawl as hard as each other.
LOOPBACK_CRAWL: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
}

BENCH_WATCHES = [
    {"name": "floods", "query": "flood AND warnings", "notify": ["hook"]},
    {"name": "rail", "query": '"rail strike"', "notify": ["hook"]},
    {"name": "mergers", "query": "title:merger", "notify": ["hook"]},
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def prefect_server(home: Path, *, timeout: float = 180) -> Iterator[str]:
    """A Prefect API server on loopback for the block; yields its API URL."""
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_UI_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).with_name("prefect")
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port),
         "--no-services", "--no-ui"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited ({server.returncode}); "
                                   f"see {home / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not answer within {timeout:g} s")
            time.sleep(0.5)
        yield api
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@dataclass
class HookReceiver:
    """A webhook on loopback counting the digests it is sent (``json://`` channels)."""

    def __post_init__(self) -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(self.rfile.read(length))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._serving = serving(self._server, "hook")

    def url(self) -> str:
        return f"json://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> HookReceiver:
        self._serving.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._serving.__exit__(*exc)


def write_config(path: Path, *, database: str, sites: list[dict[str, Any]],
                 channels: dict[str, str], watches: list[dict[str, Any]] | None = None,
                 settings: dict[str, Any] | None = None, timeout: str = "20m") -> Path:
    config = {
        "database": database,
        "crawl": {"settings": {**LOOPBACK_CRAWL, **(settings or {})}, "timeout": timeout},
        "channels": channels,
        "sites": sites,
        "watches": BENCH_WATCHES if watches is None else watches,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass(frozen=True, kw_only=True)
class RunResult:
    returncode: int
    seconds: float
    stdout: str
    stderr: str


def newswatch_run(config: Path, *, api_url: str, home: Path, timeout: float = 900) -> RunResult:
    """``newswatch run --config CONFIG`` against the server at ``api_url``, timed."""
    command = Path(sys.executable).with_name("newswatch")
    env = {**os.environ, "PREFECT_API_URL": api_url, "NEWSWATCH_HOME": str(home),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    for name in [n for n in env if n.startswith("NEWSWATCH_") and n != "NEWSWATCH_HOME"]:
        env.pop(name)
    started = time.perf_counter()
    done = subprocess.run([str(command), "run", "--config", str(config)], env=env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return RunResult(returncode=done.returncode, seconds=time.perf_counter() - started,
                     stdout=done.stdout, stderr=done.stderr)


def crawl_seconds(database: str, *, after_id: int = 0) -> tuple[float | None, int]:
    """From the first crawl's start to the last crawl's end, by the ``crawl_runs`` rows.

    Only rows with an id above ``after_id`` count; also returns the highest id seen.
    """
    from sqlalchemy import select

    from store.db import session_factory
    from store.models import CrawlRun

    with session_factory(database)() as session:
        stmt = select(CrawlRun.id, CrawlRun.started, CrawlRun.finished).where(
            CrawlRun.id > after_id)
        rows = session.execute(stmt).all()
    if not rows:
        return None, after_id
    finished = [r.finished for r in rows if r.finished is not None]
    span = (max(finished) - min(r.started for r in rows)).total_seconds() if finished else None
    return span, max(r.id for r in rows)


def dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=str))
