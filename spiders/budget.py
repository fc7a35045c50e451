"""A crawl's budget: what one run of one site may request, so no site can make it endless.

Two bounds, each counted in the crawl's stats:

- :class:`ListingVisits` (used by the spider): a feed, sitemap or section page is read once per
  run, however often and under whichever spelling it is listed (URLs compared in canonical
  form: no fragment, lower-case host, no tracking parameters), and sitemap indexes are followed
  ``NEWSWATCH_MAX_SITEMAP_DEPTH`` levels deep, no deeper. A sitemap index that lists itself, or
  a chain of indexes each listing the next, ends there.
- :class:`PageBudgetMiddleware`: at most ``NEWSWATCH_MAX_PAGES`` listing pages and article
  requests per run (a site's ``max_pages`` wins). It sits below the stored-article check, so an
  article already stored costs nothing; robots.txt, retries and redirects are not counted
  (their own settings bound them). Requests past the cap are dropped with :class:`OverBudget`.

Stats keys: ``newswatch/budget/requests`` (counted requests), ``newswatch/budget/max_pages``
(the cap, set once it is reached), ``newswatch/budget/dropped`` (requests not made because of
it), ``newswatch/budget/seen_again`` (listings listed again and not read again),
``newswatch/budget/too_deep`` (sitemaps nested too deep, not read); the spider counts the
last two.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from spiders.middlewares import ARTICLE_META
from spiders.outcomes import SOURCE_META
from store.urls import canonical_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["DEPTH_META", "ListingVisits", "OverBudget", "PageBudgetMiddleware"]

logger = logging.getLogger(__name__)

#: Meta key: how deep in sitemap indexes a listing request is (a configured one is 0).
DEPTH_META = "newswatch_depth"


class OverBudget(IgnoreRequest):
    """The request was dropped because the crawl reached its ``max_pages``."""


class ListingVisits:
    """Which feeds, sitemaps and section pages this crawl has asked for, and how deep."""

    def __init__(self, *, max_depth: int) -> None:
        if max_depth < 0:
            raise ValueError(f"NEWSWATCH_MAX_SITEMAP_DEPTH ({max_depth}) must be 0 or more")
        self.max_depth = max_depth
        self._seen: set[str] = set()

    def visit(self, url: str, depth: int = 0) -> Literal["new", "seen", "too_deep"]:
        """Whether to request the listing at ``url``, found ``depth`` indexes deep ("new"),
        or why not; a new one counts as visited from now on."""
        key = canonical_url(url)
        if key in self._seen:
            return "seen"
        if depth > self.max_depth:
            return "too_deep"  # not marked: it may be listed again, less deep
        self._seen.add(key)
        return "new"

    def mark(self, url: str) -> None:
        """Count ``url`` as visited too (where a listing redirected to)."""
        self._seen.add(canonical_url(url))


class PageBudgetMiddleware:
    """Downloader middleware: at most ``max_pages`` listing pages and article requests."""

    def __init__(self, stats: StatsCollector, *, max_pages: int) -> None:
        if max_pages < 1:
            raise ValueError(f"NEWSWATCH_MAX_PAGES ({max_pages}) must be 1 or more")
        self.stats = stats
        self.max_pages = max_pages
        self.requested = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        return cls(crawler.stats, max_pages=crawler.settings.getint("NEWSWATCH_MAX_PAGES"))

    def process_request(self, request: Request) -> None:
        if not (request.meta.get(SOURCE_META) or request.meta.get(ARTICLE_META)):
            return None
        if request.meta.get("retry_times") or request.meta.get("redirect_times"):
            return None  # the same page again, bounded by RETRY_TIMES and REDIRECT_MAX_TIMES
        if self.requested >= self.max_pages:
            if not self.stats.get_value("newswatch/budget/max_pages"):
                self.stats.set_value("newswatch/budget/max_pages", self.max_pages)
                logger.warning("Reached max_pages=%(max)d: no more pages are requested",
                               {"max": self.max_pages})
            self.stats.inc_value("newswatch/budget/dropped")
            raise OverBudget(f"over max_pages={self.max_pages}")
        self.requested += 1
        self.stats.inc_value("newswatch/budget/requests")
        return None
