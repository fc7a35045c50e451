"""Skipping article URLs that are already stored, before they are downloaded.

Enabled by ``NEWSWATCH_DATABASE_URL``. Only requests marked ``meta["newswatch_article"] = True``
are checked: feeds, sitemaps and section pages change all the time and are always fetched.
``meta["newswatch_refetch"] = True`` fetches one article again even when it is stored.

The lookup comes from the factory named by ``NEWSWATCH_STORED_LOOKUP``, called with the database
URL; the default asks the store. The middleware itself only needs a ``Callable[[str], bool]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["AlreadyStored", "StoredArticleMiddleware", "database_lookup"]

logger = logging.getLogger(__name__)

#: Meta key marking a request for an article page.
ARTICLE_META = "newswatch_article"
#: Meta key asking to fetch an article even when it is stored.
REFETCH_META = "newswatch_refetch"


class AlreadyStored(IgnoreRequest):
    """The request was dropped because its article is already stored."""


def database_lookup(database_url: str) -> Callable[[str], bool]:
    """The default stored-URL check: one short session on the store per URL."""
    from store.articles import is_stored
    from store.db import session_factory

    sessions = session_factory(database_url)

    def lookup(url: str) -> bool:
        with sessions() as session:
            return is_stored(session, url)

    return lookup


class StoredArticleMiddleware:
    """Downloader middleware dropping article requests whose URL ``is_stored`` knows.

    Stats: ``newswatch/skipped_stored`` counts the dropped requests.
    """

    def __init__(self, is_stored: Callable[[str], bool],
                 stats: StatsCollector | None = None) -> None:
        self.is_stored = is_stored
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredArticleMiddleware:
        database_url = crawler.settings.get("NEWSWATCH_DATABASE_URL")
        if not database_url:
            raise NotConfigured  # bare: being off is normal, not worth a warning
        factory = load_object(crawler.settings.get("NEWSWATCH_STORED_LOOKUP"))
        return cls(factory(database_url), crawler.stats)

    def process_request(self, request: Request) -> None:
        if not request.meta.get(ARTICLE_META) or request.meta.get(REFETCH_META):
            return None
        if self.is_stored(request.url):
            if self.stats is not None:
                self.stats.inc_value("newswatch/skipped_stored")
            logger.debug("Already stored, not fetched: %(url)s", {"url": request.url})
            raise AlreadyStored(f"already stored: {request.url}")
        return None
