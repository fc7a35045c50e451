"""A fleet of small news sites on one loopback server, for runs over many sites.

Site ``sN`` has a feed, ``/sN/rss.xml``, of ``articles`` articles dated from the clock its
caller gives, and those article pages. Every answer carries an ``ETag`` and a conditional
request for an unchanged page gets ``304 Not Modified``; answers are counted per path and
status.

All sites share one host and port. That does not serialise them: a shard gives each site a
crawler of its own, with its own downloader and so its own per-domain slot.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FleetServer"]


class FleetServer(ThreadingHTTPServer):
    # Many sites' crawlers connect at once; the default backlog of 5 would make them wait.
    request_queue_size = 1024
    daemon_threads = True

    def __init__(self, *, now: datetime, articles: int = 3) -> None:
        super().__init__(("127.0.0.1", 0), _FleetHandler)
        self.now = now
        self.articles = articles
        self.answers: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def site_configs(self, count: int) -> list[dict]:
        return [{"name": f"s{n}", "feeds": [f"{self.base_url}/s{n}/rss.xml"]} for n in range(count)]

    def count(self, status: int, kind: str) -> int:
        """Answers of ``status`` to feeds (kind "rss.xml") or articles (kind ".html")."""
        with self._lock:
            return sum(n for (path, code), n in self.answers.items()
                       if code == status and path.endswith(kind))

    def page(self, path: str) -> tuple[bytes, str] | None:
        parts = path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("s") or not parts[0][1:].isdigit():
            return None
        site = int(parts[0][1:])
        if parts[1] == "rss.xml":
            return self._feed(site), "application/rss+xml"
        if parts[1].startswith("a") and parts[1].endswith(".html"):
            return self._article(site, int(parts[1][1:-5])), "text/html; charset=utf-8"
        return None

    def _feed(self, site: int) -> bytes:
        items = "".join(
            f"<item><title>Site {site} story {i}</title>"
            f"<link>{self.base_url}/s{site}/a{i}.html</link>"
            f"<pubDate>{format_datetime(self.now - timedelta(hours=i + 1))}</pubDate></item>"
            for i in range(self.articles))
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>s{site}</title>'
                f"<link>{self.base_url}/s{site}/</link><description>Site {site}</description>"
                f"{items}</channel></rss>").encode()

    def _article(self, site: int, number: int) -> bytes:
        body = "".join(f"<p>Paragraph {j} of story {number} from site {site}: the council met "
                       f"again on Tuesday to weigh the plan for the river bridge.</p>"
                       for j in range(5))
        published = (self.now - timedelta(hours=number + 1)).isoformat()
        return (f"<html><head><title>Site {site} story {number}</title>"
                f'<meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="{published}"></head>'
                f"<body><article><h1>Site {site} story {number}</h1>{body}</article>"
                f"</body></html>").encode()

    def __enter__(self) -> FleetServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _FleetHandler(BaseHTTPRequestHandler):
    server: FleetServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/robots.txt":
            found: tuple[bytes, str] | None = (b"User-agent: *\nAllow: /\n", "text/plain")
        else:
            found = self.server.page(self.path)
        if found is None:
            self._answer(404, b"not found", "text/plain", None)
            return
        data, kind = found
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._answer(304, b"", kind, etag)
        else:
            self._answer(200, data, kind, etag)

    def _answer(self, status: int, data: bytes, kind: str, etag: str | None) -> None:
        with self.server._lock:
            self.server.answers[(self.path, status)] += 1
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 304:
            self.wfile.write(data)
