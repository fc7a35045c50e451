"""A loopback news site where every page goes wrong in its own way.

``/feed.xml`` lists one article per kind of trouble, plus one good article. Paths:

``/ok``                  a good article
``/slow``                answers after ``SLOW_SECONDS`` (longer than the tests' timeout)
``/status/<code>``       that HTTP status
``/loop``                redirects to itself
``/report.pdf``          a PDF, not HTML
``/huge``                announces 50 MB (over DOWNLOAD_MAXSIZE)
``/cp1252-as-utf8``      windows-1252 bytes labelled UTF-8
``/utf8-as-latin1``      UTF-8 bytes labelled ISO-8859-1
``/no-charset``          windows-1252 bytes, no charset anywhere
``/truncated``           HTML cut off before its end
``/cut``                 fewer bytes than its Content-Length promises
``/empty-feed``          a feed URL answering 200 with no body
``/error-page-feed``     a feed URL answering 200 with an HTML error page
``/bom-feed``            an RSS feed behind a byte-order mark, served as text/html
``/gzip-bomb``           ``BOMB_BYTES`` of gzip, inflating to ``BOMB_INFLATED`` (Content-Encoding)
``/endless-chunked``     an HTML page streamed chunked, without Content-Length, until the client
                         hangs up (at most ``ENDLESS_CAP``)
``/endless-close``       the same without chunks: the body would end when the connection closes
``/bounds-feed.xml``     a feed listing ``/ok`` and the three above (``BOUNDS_PATHS``)
``/sitemap-bomb.xml.gz`` the gzip bomb again, as a gzipped sitemap file (no Content-Encoding)
``/laughs-feed.xml``     a feed whose entities would expand to 10**9 "lol"s (billion laughs)

``server.streamed`` counts the body bytes each endless path sent before the client hung up.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import chain, repeat
from urllib.parse import urlsplit

from spiders.sample_server import serving

SLOW_SECONDS = 4
HUGE_BYTES = 50 * 1024 * 1024
BOMB_INFLATED = 256 * 1024 * 1024
ENDLESS_CAP = 256 * 1024 * 1024

ARTICLE = """<!doctype html>
<html lang="fr"><head>{meta}<title>{title} | Le Quotidien</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{published}">
</head><body>
<nav><a href="/">Accueil</a> <a href="/monde/">Monde</a></nav>
<article><h1>{title}</h1>
<p class="byline">Par Élodie Marchand</p>
<p>Le café du marché de la place Saint-Michel a rouvert ses portes mardi matin, après huit mois
de travaux menés par la municipalité pour rénover la façade et la terrasse.</p>
<p>« Nous avons cru que ce jour n'arriverait jamais », a déclaré la gérante, Hélène Dubœuf,
devant une file d'habitués venus goûter la première crème brûlée de la saison.</p>
<p>Le chantier, estimé à 240 000 euros, a été financé à moitié par la région. Les riverains
se plaignaient depuis des années de l'état de la place et du bruit des livraisons.</p>
{tail}"""
ARTICLE_END = "</article>\n<footer>© Le Quotidien</footer></body></html>\n"

TITLES = {
    "/ok": "Le café de la place rouvre",
    "/cp1252-as-utf8": "Réouverture du café, étiquette fausse",
    "/utf8-as-latin1": "Réouverture du café, octets UTF-8",
    "/no-charset": "Réouverture du café, sans charset",
    "/truncated": "Réouverture du café, page tronquée",
}
#: Every article path the feed lists.
FEED_PATHS = ("/ok", "/slow", "/status/404", "/status/503", "/loop", "/report.pdf", "/huge",
              "/cp1252-as-utf8", "/utf8-as-latin1", "/no-charset", "/truncated", "/cut")
#: What ``/bounds-feed.xml`` lists: a good article and three bodies past any size limit.
BOUNDS_PATHS = ("/ok", "/gzip-bomb", "/endless-chunked", "/endless-close")


def article(path: str, *, meta: str = "") -> str:
    tail = "" if path == "/truncated" else ARTICLE_END
    published = datetime.now(UTC).replace(microsecond=0).isoformat()
    return ARTICLE.format(meta=meta, title=TITLES.get(path, "Le café"), published=published,
                          tail=tail)


def feed(base: str, paths: tuple[str, ...] = FEED_PATHS) -> str:
    now = format_datetime(datetime.now(UTC), usegmt=True)
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link><pubDate>{now}</pubDate>"
                    "</item>" for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'


_ENTITIES = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
LAUGHS_FEED = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{_ENTITIES}]><rss>'
               "<channel><item><title>&l9;</title><link>/ok</link></item></channel></rss>"
               ).encode()


@cache
def gzip_bomb() -> bytes:
    """One gzip member of zeros, ``BOMB_INFLATED`` bytes once inflated, about 1000 times smaller:
    a fully flushed deflate block of 1 MiB, repeated (built in a second, not compressed)."""
    mebibyte = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(mebibyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    count = BOMB_INFLATED >> 20
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mebibyte, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, BOMB_INFLATED & 0xFFFFFFFF)
    return header + block * count + deflate.flush(zlib.Z_FINISH) + trailer


class BadSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: Counter[str] = Counter()
        self.streamed: Counter[str] = Counter()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) resets the connection: expected


class _Handler(BaseHTTPRequestHandler):
    server: BadSite

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # the name http.server calls
        path = urlsplit(self.path).path
        self.server.hits[path] += 1
        base = self.server.base_url
        if path == "/feed.xml":
            self._send(200, feed(base).encode(), "application/rss+xml")
        elif path == "/bounds-feed.xml":
            self._send(200, feed(base, BOUNDS_PATHS).encode(), "application/rss+xml")
        elif path == "/bom-feed":
            self._send(200, b"\xef\xbb\xbf" + feed(base, ("/ok",)).encode(), "text/html")
        elif path == "/ok":
            self._send(200, article(path).encode(), "text/html; charset=utf-8")
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, article(path).encode(), "text/html; charset=utf-8")
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"no", "text/plain")
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/report.pdf":
            self._send(200, b"%PDF-1.7\n" + bytes(range(256)) * 8, "application/pdf")
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(HUGE_BYTES))
            self.end_headers()
            try:
                self.wfile.write(b"<html><body>" + b"x" * 65536)
            except OSError:
                pass
        elif path == "/cp1252-as-utf8":
            self._send(200, article(path).encode("cp1252"), "text/html; charset=utf-8")
        elif path == "/utf8-as-latin1":
            self._send(200, article(path).encode(), "text/html; charset=iso-8859-1")
        elif path == "/no-charset":
            self._send(200, article(path).encode("cp1252"), "text/html")
        elif path == "/truncated":
            self._send(200, article(path).encode(), "text/html; charset=utf-8")
        elif path == "/cut":
            body = article(path).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body) + 5000))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif path == "/gzip-bomb":
            bomb = gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            self.wfile.write(bomb)
        elif path == "/sitemap-bomb.xml.gz":
            self._send(200, gzip_bomb(), "application/gzip")
        elif path == "/laughs-feed.xml":
            self._send(200, LAUGHS_FEED, "application/rss+xml")
        elif path in ("/endless-chunked", "/endless-close"):
            self._stream_endlessly(path, chunked=path == "/endless-chunked")
        elif path == "/empty-feed":
            self._send(200, b"", "application/rss+xml")
        elif path == "/error-page-feed":
            page = (b"<!DOCTYPE html><html><head><title>Service temporarily unavailable"
                    b"</title></head><body><h1>Oops</h1></body></html>")
            self._send(200, page, "text/html")
        else:
            self._send(404, b"not found", "text/plain")

    def _stream_endlessly(self, path: str, *, chunked: bool) -> None:
        if chunked:
            self.protocol_version = "HTTP/1.1"  # chunks need it; http.server speaks 1.0
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding" if chunked else "Connection",
                         "chunked" if chunked else "close")
        self.end_headers()
        self.close_connection = True
        opening = b"<!doctype html><html><body>"
        piece = b"<p>" + b"All work and no play makes a very long page. " * 1400 + b"</p>\n"
        try:
            for body in chain([opening], repeat(piece)):
                if self.server.streamed[path] >= ENDLESS_CAP:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body) if chunked else body)
                self.server.streamed[path] += len(body)
        except OSError:
            pass  # the client hung up: what a bounded crawl does

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def bad_site() -> Iterator[BadSite]:
    with serving(BadSite(), "bad-site") as server:
        yield server
