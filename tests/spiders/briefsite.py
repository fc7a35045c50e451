"""A loopback news site of short items: briefs that are whole articles, however short.

``/feed.xml`` lists twelve English briefs (a headline and two paragraphs, 150 to 230 characters
of body) and a Chinese article of four sentences, about 150 characters. Half the briefs say
they are articles (``og:type``, a publication time); the other half are bare pages, as small
local sites publish them. Paths: ``/brief/<n>`` and ``/zh/jiaotong``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from spiders.sample_server import serving

#: (headline, first paragraph, second paragraph)
BRIEFS = [
    ("Bridge on Mill Road closes for repairs",
     "The bridge on Mill Road will close on Monday for three weeks of repairs.",
     "Buses will divert via Station Street, and cyclists must dismount, the council said."),
    ("Library extends opening hours",
     "The central library will open until 8pm on weekdays from the start of March.",
     "The change follows a survey in which most readers asked for evening opening hours."),
    ("Water main burst floods High Street",
     "A burst water main flooded part of High Street early on Tuesday morning.",
     "Engineers expect to restore the supply to about 40 homes by the evening, the water "
     "company said."),
    ("School wins national robotics prize",
     "Pupils from Hillside School won the national robotics final in Leeds on Friday.",
     "Their robot sorted recycling faster and more accurately than any other entry."),
    ("Council approves new cycle lane",
     "Councillors approved a protected cycle lane along the river path on Wednesday night.",
     "Work is due to start in the summer and will cost 1.2 million pounds, paid by a "
     "government grant."),
    ("Market hall reopens after fire",
     "The market hall reopened on Saturday, a year after a fire gutted its roof.",
     "Twenty-six traders have returned, and four new stalls selling cheese, coffee, books "
     "and flowers open next month."),
    ("Heron nests return to the park",
     "Herons are nesting in Riverside Park for the first time in a decade.",
     "Wardens have fenced off the island in the lake to keep dogs and visitors at a distance "
     "until June."),
    ("Hospital car park fees scrapped",
     "Parking at the general hospital will be free for patients and visitors from April.",
     "Staff parking fees will also be halved, the health board said on Monday."),
    ("Rail ticket office to stay open",
     "The ticket office at the town's railway station will stay open after all.",
     "The operator dropped its plan to close it after more than 3,000 people objected in a "
     "consultation."),
    ("Storm brings down trees in the valley",
     "Gales brought down trees across the valley overnight, blocking two roads.",
     "No one was hurt, and council crews expect to clear both roads by noon on Sunday."),
    ("Theatre announces spring season",
     "The Playhouse announced a spring season of nine plays on Thursday evening.",
     "Tickets go on sale next week, with cheaper seats for under-25s and for local "
     "schools and colleges."),
    ("Post office moves into the pharmacy",
     "The village post office will move into the pharmacy on Church Lane next month.",
     "The counter will keep its opening hours and add Saturday mornings, the owners said."),
]

#: A Chinese article of four sentences: what a 600-character English article carries.
CHINESE = (
    "城市地铁三号线下月开通",
    "城市地铁三号线将于下月十五日正式开通运营，全长二十八公里，共设二十二座车站。"
    "新线路连接火车站、大学城和新区，预计每天客流量超过三十万人次。"
    "运营公司表示，开通初期列车间隔为六分钟，高峰时段将缩短至四分钟。"
    "市交通局提醒市民，三号线开通后，沿线部分公交线路将调整走向，具体方案将提前一周向社会公布。",
)

BRIEF_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Valley Post</title>{meta}
</head><body>
<header><a href="/">The Valley Post</a> <nav><a href="/news/">News</a> <a href="/sport/">Sport</a>
<a href="/what-s-on/">What's on</a></nav></header>
<main><article><h1>{title}</h1>
<p>{first}</p>
<p>{second}</p>
</article></main>
<footer><p>The Valley Post, 12 Bridge Street</p></footer>
</body></html>
"""
DECLARED = ('\n<meta property="og:type" content="article">'
            '\n<meta property="article:published_time" content="{published}">')

CHINESE_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_本地新闻</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a> <a href="/city/">城市</a></div>
<div class="content"><h1>{title}</h1>
<p>{body}</p>
</div>
<div class="footer">本地新闻网</div>
</body></html>
"""


def body_of(n: int) -> str:
    """The text a reader sees under brief ``n``'s headline."""
    return f"{BRIEFS[n][1]}\n\n{BRIEFS[n][2]}"


class BriefSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.now = datetime.now(UTC).replace(microsecond=0)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def paths(self) -> list[str]:
        return [f"/brief/{n}" for n in range(len(BRIEFS))] + ["/zh/jiaotong"]

    def page(self, path: str) -> str | None:
        if path == "/zh/jiaotong":
            return CHINESE_PAGE.format(title=CHINESE[0], body=CHINESE[1])
        if not path.startswith("/brief/") or not path.removeprefix("/brief/").isdigit():
            return None
        n = int(path.removeprefix("/brief/"))
        if n >= len(BRIEFS):
            return None
        title, first, second = (escape(part) for part in BRIEFS[n])
        published = self.published(path).isoformat()
        meta = DECLARED.format(published=published) if n % 2 == 0 else ""
        return BRIEF_PAGE.format(title=title, first=first, second=second, meta=meta)

    def published(self, path: str) -> datetime:
        """When the feed says ``path`` was published (briefs that say so give the same)."""
        return self.now - timedelta(hours=self.paths().index(path))

    def feed(self) -> str:
        titles = [b[0] for b in BRIEFS] + [CHINESE[0]]
        items = "".join(
            f"<item><title>{escape(title)}</title><link>{self.base_url}{path}</link>"
            f"<pubDate>{format_datetime(self.published(path), usegmt=True)}</pubDate></item>"
            for title, path in zip(titles, self.paths(), strict=True))
        return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'


class _Handler(BaseHTTPRequestHandler):
    server: BriefSite

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # the name http.server calls
        path = urlsplit(self.path).path
        if path == "/feed.xml":
            self._send(200, self.server.feed(), "application/rss+xml")
        elif (page := self.server.page(path)) is not None:
            self._send(200, page, "text/html; charset=utf-8")
        else:
            self._send(404, "not found", "text/plain")

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def brief_site() -> Iterator[BriefSite]:
    with serving(BriefSite(), "brief-site") as server:
        yield server
