"""A loopback news site whose listings point inside the network, and servers there that count.

:class:`InsideServer` answers every request with a small article and counts it; one listens on
127.0.0.2 (another loopback address than the site's) and one on 127.0.0.1 (reached by the name
``localhost``, which resolves to the site's own address but is not the site's host).

:class:`PointingSite` serves, on 127.0.0.1:

``/feed.xml``           a good article, ``/redirect``, then every URL of :func:`inside_urls`
``/sitemap-index.xml``  a sitemap index listing a sitemap on 127.0.0.2
``/ok``                 a good article
``/redirect``           redirects to 127.0.0.2 (listed in the feed as an article of the site)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from spiders.sample_server import serving
from tests.spiders.badsite import article

METADATA_URL = "http://169.254.169.254/latest/meta-data/"


class InsideServer(ThreadingHTTPServer):
    """Something inside the network that no crawl may reach: it counts what reaches it."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _InsideHandler)
        self.hits: Counter[str] = Counter()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _InsideHandler(BaseHTTPRequestHandler):
    server: InsideServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.hits[self.path] += 1
        body = article("/ok").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Inside:
    """The two inside servers, by the address each listens on."""

    other_loopback: InsideServer  # 127.0.0.2
    own_address: InsideServer  # 127.0.0.1, another port than the site's

    @property
    def hits(self) -> int:
        return sum(self.other_loopback.hits.values()) + sum(self.own_address.hits.values())


def inside_urls(inside: Inside, *, metadata: bool = True) -> list[str]:
    """What the feed lists inside the network, each a way in; ``metadata`` adds the cloud
    metadata address, which only a test that refuses it may list (nothing there is ours)."""
    other, own = inside.other_loopback.port, inside.own_address.port
    return [
        *([METADATA_URL] if metadata else []),
        f"http://127.0.0.2:{other}/listed",
        f"http://[::ffff:127.0.0.2]:{other}/mapped",
        f"http://localhost:{own}/by-name",
    ]


class PointingSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, inside: Inside, *, metadata: bool) -> None:
        super().__init__(("127.0.0.1", 0), _SiteHandler)
        self.inside = inside
        self.metadata = metadata
        self.hits: Counter[str] = Counter()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def redirect_target(self) -> str:
        return f"http://127.0.0.2:{self.inside.other_loopback.port}/redirected"

    @property
    def sitemap_child(self) -> str:
        return f"http://127.0.0.2:{self.inside.other_loopback.port}/sitemap.xml"


class _SiteHandler(BaseHTTPRequestHandler):
    server: PointingSite

    def do_GET(self) -> None:  # noqa: N802
        self.server.hits[self.path] += 1
        site = self.server
        now = format_datetime(datetime.now(UTC), usegmt=True)
        if self.path == "/feed.xml":
            links = [f"{site.base_url}/ok", f"{site.base_url}/redirect",
                     *inside_urls(site.inside, metadata=site.metadata)]
            items = "".join(f"<item><title>Item {n}</title><link>{link}</link>"
                            f"<pubDate>{now}</pubDate></item>" for n, link in enumerate(links))
            self._send(200, "application/rss+xml",
                       f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>')
        elif self.path == "/sitemap-index.xml":
            self._send(200, "application/xml",
                       '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/'
                       f'schemas/sitemap/0.9"><sitemap><loc>{site.sitemap_child}</loc>'
                       "</sitemap></sitemapindex>")
        elif self.path == "/ok":
            self._send(200, "text/html; charset=utf-8", article("/ok"))
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", site.redirect_target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, "text/plain", "not found")

    def _send(self, status: int, content_type: str, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def pointing_site(*, metadata: bool = True) -> Iterator[PointingSite]:
    """The site and its two inside servers, all serving; ``metadata``: see :func:`inside_urls`."""
    with ExitStack() as stack:
        inside = Inside(other_loopback=InsideServer("127.0.0.2"),
                        own_address=InsideServer("127.0.0.1"))
        stack.enter_context(serving(inside.other_loopback, "inside-127.0.0.2"))
        stack.enter_context(serving(inside.own_address, "inside-127.0.0.1"))
        yield stack.enter_context(serving(PointingSite(inside, metadata=metadata),
                                                 "pointing-site"))
