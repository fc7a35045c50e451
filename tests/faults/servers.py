"""Misbehaving servers and process helpers for the fault tests, all on loopback.

``StallServer``   accepts connections and never answers
``DripServer``    answers 200 with a large Content-Length, then one byte every ``interval`` s
``GarbageServer`` answers every connection with random bytes (not HTTP) and hangs up
``ListingMaze``   a news site whose sitemap index lists itself in 300 spellings, whose
                  ``/deep/N.xml`` indexes each list the next, endlessly, and whose feed lists
                  ``feed_articles`` articles
``TcpProxy``      forwards a fixed loopback port to another address; ``stop()`` closes the port
                  and every connection through it (a database "gone"), ``start()`` reopens it;
                  ``cut_when(pattern)`` does both by itself when a client sends ``pattern``

Each is a context manager serving from daemon threads, with ``base_url`` (``TcpProxy``:
``port``). :func:`descendants` lists a process's children, grandchildren and so on from /proc;
:func:`kill9` sends one SIGKILL; :func:`wait_until` polls a condition with a deadline.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["DripServer", "GarbageServer", "ListingMaze", "StallServer", "TcpProxy",
           "descendants", "kill9", "wait_until"]


class _SocketServer:
    """Accepts connections on 127.0.0.1 and hands each to ``handle`` in a thread."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._stop = threading.Event()
        self._connections: list[socket.socket] = []
        self.accepted = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._listener.close()
        for connection in self._connections:
            try:
                connection.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            self.handle(connection)
        except OSError:
            pass

    def handle(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def _read_request(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = connection.recv(4096)
            if not chunk:
                return
            data += chunk


class StallServer(_SocketServer):
    """Accepts, then says nothing until the test ends."""

    def handle(self, connection: socket.socket) -> None:
        self._stop.wait()


class DripServer(_SocketServer):
    """Promises a large body, then sends it one byte at a time."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__()
        self.interval = interval

    def handle(self, connection: socket.socket) -> None:
        self._read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                           b"Content-Length: 1000000\r\n\r\n<rss><channel>")
        while not self._stop.wait(self.interval):
            connection.sendall(b" ")


class GarbageServer(_SocketServer):
    """Answers with random bytes instead of HTTP."""

    def __init__(self, seed: int = 8) -> None:
        super().__init__()
        self._random = random.Random(seed)

    def handle(self, connection: socket.socket) -> None:
        self._read_request(connection)
        connection.sendall(bytes(self._random.getrandbits(8) for _ in range(4096)))
        connection.close()


class ListingMaze(ThreadingHTTPServer):
    """A small news site with listings that never end, on 127.0.0.1.

    ``/sitemap.xml``, under any query, is a sitemap index listing: its own address as asked
    for, ``/sitemap.xml?v=1`` … ``?v=300``, the same address with a fragment and with an
    upper-case scheme, and ``/news.xml``. ``/deep/N.xml`` is an index listing ``/deep/N+1.xml``
    and ``/news.xml``. ``/news.xml`` is a Google News sitemap of ``news_articles`` articles,
    ``/feed.xml`` an RSS feed of ``feed_articles``; articles are ``/a/N.html``, published
    within the hour before ``now``. ``hits`` counts requests by path with their query;
    ``delay`` (seconds) slows each article page.
    """

    VARIANTS = 300

    def __init__(self, *, now: datetime, news_articles: int = 5, feed_articles: int = 20,
                 delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _MazeHandler)
        self.now = now
        self.news_articles = news_articles
        self.feed_articles = feed_articles
        self.delay = delay
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] += 1

    def hits_under(self, prefix: str) -> int:
        with self._lock:
            return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    def __enter__(self) -> ListingMaze:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.shutdown()
        self.server_close()

    def page(self, path: str) -> tuple[str, str] | None:
        """(content type, body) at ``path``, or None."""
        base = self.base_url
        route, _, query = path.partition("?")
        if route == "/sitemap.xml":
            own = base + path
            urls = [own, *(f"{base}/sitemap.xml?v={n}" for n in range(1, self.VARIANTS + 1)),
                    f"{own}#top", "HTTP" + own.removeprefix("http"), f"{base}/news.xml"]
            return "application/xml", _index(urls)
        if route.startswith("/deep/") and route.endswith(".xml"):
            level = int(route.removeprefix("/deep/").removesuffix(".xml"))
            return "application/xml", _index([f"{base}/deep/{level + 1}.xml", f"{base}/news.xml"])
        if route == "/news.xml":
            return "application/xml", self._news_sitemap()
        if route == "/feed.xml":
            return "application/rss+xml", self._feed()
        if route.startswith("/a/") and route.endswith(".html"):
            number = int(route.removeprefix("/a/").removesuffix(".html"))
            if self.delay:
                time.sleep(self.delay)
            return "text/html; charset=utf-8", _article(number, self._published(number))
        return None

    def _published(self, number: int) -> datetime:
        return self.now - timedelta(minutes=number % 60)

    def _news_sitemap(self) -> str:
        entries = "".join(
            f"<url><loc>{self.base_url}/a/{n}.html</loc><news:news><news:title>Report {n}"
            f"</news:title><news:publication_date>{self._published(n).isoformat()}"
            "</news:publication_date></news:news></url>"
            for n in range(1, self.news_articles + 1))
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset '
                'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                f"{entries}</urlset>")

    def _feed(self) -> str:
        items = "".join(
            f"<item><title>Report {n}</title><link>{self.base_url}/a/{n}.html</link>"
            f"<pubDate>{format_datetime(self._published(n))}</pubDate></item>"
            for n in range(1, self.feed_articles + 1))
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Maze</title>{items}</channel></rss>")


def _index(urls: list[str]) -> str:
    entries = "".join(f"<sitemap><loc>{url.replace('&', '&amp;')}</loc></sitemap>"
                      for url in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
            "</sitemapindex>")


def _article(number: int, published: datetime) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Report {number}</title><meta property="og:title" content="Report {number}">
<meta property="article:published_time" content="{published.astimezone(UTC).isoformat()}">
</head><body><article><h1>Report {number}</h1>
<p>The harbour authority said on Tuesday that report number {number} on the state of the
northern breakwater found cracks along most of its length after the winter storms.</p>
<p>Engineers will close the outer berths while repairs go ahead, which the authority expects
to last until the end of the summer season, at a cost it has not yet disclosed.</p>
</article></body></html>"""


class _MazeHandler(BaseHTTPRequestHandler):
    server: ListingMaze

    def do_GET(self) -> None:
        self.server.count(self.path)
        found = self.server.page(self.path)
        if found is None:
            self.send_error(404)
            return
        content_type, text = found
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target``; stop() and start() take the port away and back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cuts: list[tuple[bytes, float, threading.Event]] = []

    def cut_when(self, pattern: bytes, *, down_for: float) -> threading.Event:
        """The first time a client sends ``pattern`` (say, a statement's text), that message
        never arrives: the port closes and every connection is cut, as a database server
        going away does, and opens again ``down_for`` seconds later. The event is set then."""
        back = threading.Event()
        with self._lock:
            self._cuts.append((pattern, down_for, back))
        return back

    def _cut_for(self, chunk: bytes) -> tuple[bytes, float, threading.Event] | None:
        with self._lock:
            for cut in self._cuts:
                if cut[0] in chunk:
                    self._cuts.remove(cut)
                    return cut
        return None

    def _go_away(self, down_for: float, back: threading.Event) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()
        back.set()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the port and cut every connection, as a database server going down does."""
        if self._listener is not None:
            try:  # wakes the accept() blocked on it, which a close alone leaves listening
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink, source is client),
                                 daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while chunk := source.recv(65536):
                cut = self._cut_for(chunk) if from_client else None
                if cut is not None:
                    self._go_away(cut[1], cut[2])
                    return
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for init to reap it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid: int) -> list[tuple[int, str]]:
    """``(pid, command line)`` of every live descendant of ``pid``, from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # the command name in parentheses may hold spaces: the ppid follows the last ')'
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append((child, commands.get(child, "")))
                frontier.append(child)
    return found


def wait_until(condition, *, timeout: float, interval: float = 0.05, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what or condition}")
        time.sleep(interval)


def kill9(pid: int) -> None:
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
