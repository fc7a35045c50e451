"""A small news site on loopback, for the demo and the tests.

Two outlets share one host: The Daily Courier under ``/courier/`` (RSS at ``/courier/rss.xml``)
and The World Ledger under ``/ledger/`` (news sitemap at ``/ledger/sitemap-news.xml``, section
page ``/ledger/world/``). Any path under ``/broken/`` answers HTTP 500, and so does any path
a test puts in ``server.failing`` (with 503).

Every request is counted by path in ``server.hits`` and by (path, status) in
``server.statuses``; feeds and pages carry an ETag and Last-Modified and answer conditional
requests with 304 Not Modified.

Files under ``spiders/sample_site/`` carry placeholders filled at serve time, so the news is
always fresh. Times are relative to the server's start, rounded down to the minute, so the same
server serves the same bytes on every request:

``{{base}}``               the server's base URL, ``http://127.0.0.1:PORT``
``{{published:-2h}}``      ISO 8601 UTC, two hours ago (units ``s m h d``)
``{{rfc822:-2h}}``         RFC 822, as RSS wants
``{{date:-1d}}``           a bare date
``{{human:-2h}}``          "30 November 2024, 14:05 GMT"

Run it by hand with ``python -m spiders.sample_server [--port N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

__all__ = ["SAMPLE_SITE", "SampleSiteServer", "sample_site_server", "serve_sample_site", "serving"]

#: Where the sample site's files live.
SAMPLE_SITE = Path(__file__).with_name("sample_site")

_PLACEHOLDER = re.compile(r"\{\{(base|published|rfc822|date|human)(?::([+-]?\d+)([smhd]))?\}\}")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
_FEED_TYPES = {"rss.xml": "application/rss+xml; charset=utf-8",
               "atom.xml": "application/atom+xml; charset=utf-8"}


class SampleSiteServer(ThreadingHTTPServer):
    """The sample site's HTTP server; ``hits`` counts the requests for each path, ``statuses``
    each (path, status) answered; paths in ``failing`` answer 503."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int] = ("127.0.0.1", 0), *,
                 root: Path = SAMPLE_SITE, now: datetime | None = None) -> None:
        super().__init__(address, _Handler)
        self.root = root.resolve()
        self.now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
        self.hits: Counter[str] = Counter()
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.failing: set[str] = set()
        self._hits_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, path: str, status: int | None = None) -> None:
        with self._hits_lock:
            if status is None:
                self.hits[path] += 1
            else:
                self.statuses[path, status] += 1

    def render(self, text: str) -> str:
        """Fill the placeholders of ``text``."""
        return _PLACEHOLDER.sub(self._fill, text)

    def _fill(self, match: re.Match[str]) -> str:
        kind, amount, unit = match.groups()
        if kind == "base":
            return self.base_url
        when = self.now + timedelta(**{_UNITS[unit or "s"]: int(amount or 0)})
        if kind == "published":
            return when.isoformat()
        if kind == "rfc822":
            return format_datetime(when, usegmt=True)
        if kind == "date":
            return when.date().isoformat()
        return f"{when.day} {when:%B %Y, %H:%M} GMT"

    def resolve(self, path: str) -> Path | None:
        """The file serving URL ``path``, or None; never a file outside the site's root."""
        relative = unquote(path).lstrip("/")
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        elif not candidate.exists() and not candidate.suffix:
            candidate = candidate.with_name(candidate.name + ".html")
        return candidate if candidate.is_file() else None


class _Handler(BaseHTTPRequestHandler):
    server: SampleSiteServer
    server_version = "SampleNews/1.0"

    def do_GET(self) -> None:  # the name http.server calls
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests and the demo print their own output

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        self.server.count(path)
        if path.startswith("/broken/"):
            self._send(500, b"Internal Server Error\n", "text/plain; charset=utf-8", send_body)
            return
        if path in self.server.failing:
            self._send(503, b"Service Unavailable\n", "text/plain; charset=utf-8", send_body)
            return
        file = self.server.resolve(path)
        if file is None:
            self._send(404, b"Not Found\n", "text/plain; charset=utf-8", send_body)
            return
        body = self.server.render(file.read_text(encoding="utf-8")).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = self.server.now
        if self._not_modified(etag, modified):
            self._send(304, b"", None, send_body, etag=etag, modified=modified)
            return
        content_type = _FEED_TYPES.get(file.name) or _CONTENT_TYPES.get(
            file.suffix, "application/octet-stream")
        self._send(200, body, content_type, send_body, etag=etag, modified=modified)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")]
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                return modified <= parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, content_type: str | None, send_body: bool, *,
              etag: str | None = None, modified: datetime | None = None) -> None:
        self.server.count(urlsplit(self.path).path, status)
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        if modified:
            self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


_Server = TypeVar("_Server", bound=socketserver.BaseServer)


@contextmanager
def serving(server: _Server, name: str, *, poll_interval: float = 0.1) -> Iterator[_Server]:
    """Serve requests from a background thread until the block ends; then stop and close
    ``server``. Tests and benchmarks run their loopback sites and receivers this way too."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True,
                              kwargs={"poll_interval": poll_interval})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def sample_site_server(port: int = 0, *, root: Path = SAMPLE_SITE) -> Iterator[SampleSiteServer]:
    """Run the sample site (or the site under ``root``) on 127.0.0.1 in a background thread;
    yield the server."""
    with serving(SampleSiteServer(("127.0.0.1", port), root=root), "sample-site") as server:
        yield server


@contextmanager
def serve_sample_site(port: int = 0) -> Iterator[str]:
    """Run the sample site on 127.0.0.1; yield its base URL, ``http://127.0.0.1:PORT``."""
    with sample_site_server(port) as server:
        yield server.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.sample_server",
                                     description="Serve the sample news site on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any)")
    args = parser.parse_args(argv)
    with sample_site_server(args.port) as server:
        base = server.base_url
        print(f"Sample news site at {base}/")
        print(f"  The Daily Courier  {base}/courier/   feed {base}/courier/rss.xml")
        print(f"  The World Ledger   {base}/ledger/    sitemap {base}/ledger/sitemap-news.xml,"
              f" section {base}/ledger/world/")
        print("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
