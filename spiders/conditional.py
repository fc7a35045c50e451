"""Conditional requests: a feed, sitemap or section page that has not changed costs one 304.

Enabled by ``NEWSWATCH_CONDITIONAL_ENABLED`` together with ``NEWSWATCH_DATABASE_URL``; the
validators live in the store named by ``NEWSWATCH_VALIDATOR_STORE`` (see
:mod:`spiders.validators`).

Requests carrying ``meta["newswatch_source"]`` get ``If-None-Match`` / ``If-Modified-Since``
from what the same URL answered last time. A 304 reaches the spider's callback (it is added
to ``handle_httpstatus_list``) with ``meta["newswatch_children"]``: the sitemaps an unchanged
sitemap index listed, so they are still asked for, each conditionally.

What a listing answered is saved only when the crawl finished and every article it led to was
fetched: an article that timed out or met a 5xx marks its listing (``meta["newswatch_via"]``)
as not seen, so the next crawl reads that listing in full and asks for the article again.

Stats: ``newswatch/conditional/sent``, ``newswatch/sources/not_modified``,
``newswatch/conditional/saved``, ``newswatch/conditional/unsaved`` (listings not trusted
because an article failed), ``newswatch/conditional/store_errors``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.misc import load_object
from sqlalchemy.exc import SQLAlchemyError

from spiders.budget import OverBudget
from spiders.outcomes import SOURCE_META
from spiders.validators import Record, Validators, ValidatorStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["CHILDREN_META", "ConditionalRequestMiddleware", "PARENT_META", "VIA_META"]

logger = logging.getLogger(__name__)

#: Meta key of a sitemap request: the sitemap index that listed it.
PARENT_META = "newswatch_parent"
#: Meta key of an article request: the listing that led to it.
VIA_META = "newswatch_via"
#: Meta key set on a 304 answer: the sitemaps the unchanged index listed last time.
CHILDREN_META = "newswatch_children"

# Statuses that say "try again later", as opposed to "this page is gone or forbidden".
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


class ConditionalRequestMiddleware:
    """Downloader middleware sending and keeping ETag / Last-Modified validators."""

    def __init__(self, store: ValidatorStore, stats: StatsCollector, *, site: str = "") -> None:
        self.store = store
        self.stats = stats
        self.site = site
        self._seen: dict[str, Record] = {}  # listings answered 200 in this crawl
        self._refreshed: set[str] = set()
        self._tainted: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        settings = crawler.settings
        if not settings.getbool("NEWSWATCH_CONDITIONAL_ENABLED"):
            raise NotConfigured
        database_url = settings.get("NEWSWATCH_DATABASE_URL")
        if not database_url:
            raise NotConfigured  # bare: no database, nothing to remember validators in
        factory = load_object(settings.get("NEWSWATCH_VALIDATOR_STORE"))
        middleware = cls(factory(database_url), crawler.stats)
        # The signal manager keeps weak references: the crawler keeps this middleware alive.
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        site = getattr(spider, "site", None)
        self.site = getattr(site, "name", None) or spider.name

    # -- requests and responses -------------------------------------------------------------

    def process_request(self, request: Request) -> None:
        if not request.meta.get(SOURCE_META) or request.method != "GET":
            return None
        # A redirected request carries the conditions of the URL it came from.
        for name in ("If-None-Match", "If-Modified-Since"):
            request.headers.pop(name, None)
        validators = self._trusted(request.url)
        if validators:
            if validators.etag:
                request.headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                request.headers["If-Modified-Since"] = validators.last_modified
            statuses = list(request.meta.get("handle_httpstatus_list", ()))
            request.meta["handle_httpstatus_list"] = [*statuses, 304]
            self.stats.inc_value("newswatch/conditional/sent")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get(SOURCE_META):
            if response.status == 304:
                self.stats.inc_value("newswatch/sources/not_modified")
                request.meta[CHILDREN_META] = self._children(request.url)
            elif response.status == 200:
                self._remember(request, response)
        elif response.status in _TRANSIENT_STATUSES:
            self._taint(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.get(SOURCE_META):
            return None
        # A timeout or a lost connection is worth another try; so is an article left out to
        # keep the crawl's max_pages, which the next crawl must still find in the listing.
        if not isinstance(exception, IgnoreRequest) or isinstance(exception, OverBudget):
            self._taint(request)
        return None

    def spider_closed(self, spider: Any, reason: str) -> None:
        if reason != "finished":
            logger.info("Crawl ended early (%(reason)s): no validators kept",
                        {"reason": reason})
            return
        records = []
        for url, record in self._seen.items():
            if url in self._tainted:
                self.stats.inc_value("newswatch/conditional/unsaved")
                record = Record(url=url, parent=record.parent)
            records.append(record)
        if not records:
            return
        checked = self.stats.get_value("start_time") or datetime.now(UTC)
        try:
            self.store.save(self.site, records, checked=checked, refreshed=self._refreshed)
        except SQLAlchemyError as exc:
            self._store_error("save", exc)
            return
        self.stats.inc_value("newswatch/conditional/saved", len(records))

    # -- helpers ----------------------------------------------------------------------------

    def _remember(self, request: Request, response: Response) -> None:
        etag = _header(response, "ETag")
        last_modified = _header(response, "Last-Modified")
        parent = request.meta.get(PARENT_META)
        self._refreshed.add(request.url)
        if etag or last_modified or parent:
            self._seen[request.url] = Record(
                url=request.url, parent=parent,
                validators=Validators(etag=etag, last_modified=last_modified))

    def _taint(self, request: Request) -> None:
        via = request.meta.get(VIA_META)
        if via:
            self._tainted.add(via)

    def _trusted(self, url: str) -> Validators | None:
        try:
            return self.store.trusted(url)
        except SQLAlchemyError as exc:
            self._store_error("read", exc)
            return None

    def _children(self, url: str) -> list[str]:
        try:
            return self.store.children(url)
        except SQLAlchemyError as exc:
            self._store_error("read", exc)
            return []

    def _store_error(self, action: str, exc: Exception) -> None:
        # Validators only save requests: without them the crawl is complete, just dearer.
        self.stats.inc_value("newswatch/conditional/store_errors")
        logger.warning("Could not %(action)s feed validators: %(error)s",
                       {"action": action, "error": " ".join(str(exc).split())[:300]})


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1").strip()
    return text or None
