"""What happened to each page: counted in stats, failures kept as one line each.

A crawl where every request failed still finishes with reason "finished", so the runner judges a
crawl by these counts instead. Stats keys:

``newswatch/pages/ok``        responses below 400 (robots.txt excluded)
``newswatch/pages/failed``    responses of 400 and up, download errors, callback errors
``newswatch/errors/count``    failure lines, including those not kept
``newswatch/errors``          the first ``NEWSWATCH_MAX_ERRORS`` lines, "URL: reason"
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from spiders.handoff import ERRORS_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

__all__ = ["ERRORS_KEY", "PageOutcomeMiddleware", "describe_exception", "record_error"]

logger = logging.getLogger(__name__)

#: Meta key naming what a request fetches: "feed", "sitemap", "section"; articles have none.
SOURCE_META = "newswatch_source"

# Exception class names, from Scrapy's own and Twisted's, mapped to a short reason.
_REASONS = {
    "DownloadConnectionRefusedError": "Connection refused",
    "ConnectionRefusedError": "Connection refused",
    "DownloadTimeoutError": "Timed out",
    "TimeoutError": "Timed out",
    "TCPTimedOutError": "Timed out",
    "CannotResolveHostError": "DNS lookup failed",
    "DNSLookupError": "DNS lookup failed",
    "ResponseDataLossError": "Connection lost mid-response",
    "ResponseNeverReceived": "No response received",
    "ConnectionLost": "Connection lost",
    "ConnectionDone": "Connection closed",
    "UnsupportedURLSchemeError": "Unsupported URL scheme",
    "SSLError": "TLS error",
}


def describe_exception(exception: BaseException) -> str:
    """A short reason for a failed download: "Connection refused", "Timed out", …"""
    for cls in type(exception).__mro__:
        if cls.__name__ in _REASONS:
            return _REASONS[cls.__name__]
    if "max size" in str(exception):  # DownloadCancelledError, from DOWNLOAD_MAXSIZE
        found = re.search(r"receive (\d+) bytes", str(exception))
        size = f" ({int(found.group(1)) / 1_048_576:.0f} MiB)" if found else ""
        return f"Too large{size}: over DOWNLOAD_MAXSIZE"
    if type(exception).__name__ == "DownloadCancelledError" and not str(exception):
        # The handler cancels a body without Content-Length once it passes DOWNLOAD_MAXSIZE,
        # and says so only in its log.
        return "Too large: cut off at DOWNLOAD_MAXSIZE while streaming"
    text = " ".join(str(exception).split())
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__


def record_error(stats: StatsCollector, url: str, reason: str, *, limit: int) -> None:
    """Count one failure and keep its line, "URL: reason", while fewer than ``limit`` are kept."""
    stats.inc_value("newswatch/errors/count")
    errors = list(stats.get_value(ERRORS_KEY) or [])
    if len(errors) < limit:
        errors.append(f"{url}: {reason}")
        stats.set_value(ERRORS_KEY, errors)


class PageOutcomeMiddleware:
    """Downloader middleware counting each request's final outcome.

    It sits below RetryMiddleware, so a request retried twice counts once. Requests for
    robots.txt are not pages and are not counted. A request dropped on purpose (offsite, already
    stored) is no failure; one dropped by robots.txt is a failure only when it was a feed,
    sitemap or section page, because the site's configuration then points somewhere forbidden.
    """

    def __init__(self, stats: StatsCollector, *, max_errors: int = 50) -> None:
        self.stats = stats
        self.max_errors = max_errors

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageOutcomeMiddleware:
        max_errors = crawler.settings.getint("NEWSWATCH_MAX_ERRORS")
        if max_errors < 0:
            raise ValueError(f"NEWSWATCH_MAX_ERRORS ({max_errors}) must be 0 or more")
        middleware = cls(crawler.stats, max_errors=max_errors)
        # The signal manager keeps weak references: the crawler keeps this middleware alive.
        crawler.signals.connect(middleware.spider_error, signal=signals.spider_error)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        if not _is_robots(request):
            if response.status >= 400:
                self._fail(request.url, f"HTTP {response.status}")
            else:
                self.stats.inc_value("newswatch/pages/ok")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if _is_robots(request):
            return None
        if isinstance(exception, IgnoreRequest):
            if request.meta.get(SOURCE_META) and "robots.txt" in str(exception):
                self._fail(request.url, "forbidden by robots.txt")
            return None
        self._fail(request.url, describe_exception(exception))
        return None

    def spider_error(self, failure: Failure, response: Response, spider: Any) -> None:
        """A callback raised: the page was fetched but could not be read."""
        self.stats.inc_value("newswatch/pages/callback_error")
        record_error(self.stats, response.url, describe_exception(failure.value),
                     limit=self.max_errors)

    def _fail(self, url: str, reason: str) -> None:
        self.stats.inc_value("newswatch/pages/failed")
        logger.warning("Failed %(url)s: %(reason)s", {"url": url, "reason": reason})
        record_error(self.stats, url, reason, limit=self.max_errors)


def _is_robots(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")
