"""Skipping article URLs that are already stored, before they are downloaded.

Enabled by ``NEWSWATCH_DATABASE_URL``. Only requests marked ``meta["newswatch_article"] = True``
are checked: feeds, sitemaps and section pages change all the time and are always fetched.
``meta["newswatch_refetch"] = True`` fetches one article again even when it is stored.

An article edited in place is fetched again: when the feed or sitemap entry that led to it says
it was modified (``meta["newswatch_modified"]``, an aware datetime) after the stored copy was
fetched, the request goes through.

The lookup comes from the factory named by ``NEWSWATCH_STORED_LOOKUP``, called with the database
URL; the default asks the store. The middleware itself only needs a callable taking a URL and
returning when the stored copy was fetched (a datetime), True when stored at an unknown time,
or a false value when not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
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
#: Meta key: when the listing says the article was last modified (aware datetime).
MODIFIED_META = "newswatch_modified"

#: What a stored-URL lookup answers: when the stored copy was fetched, True, or None/False.
Lookup = Callable[[str], "datetime | bool | None"]


class AlreadyStored(IgnoreRequest):
    """The request was dropped because its article is already stored."""


def database_lookup(database_url: str) -> Lookup:
    """The default stored-URL check: when the store last fetched the article (or None)."""
    from sqlalchemy import func, select

    from store.db import read_session_factory
    from store.models import Article
    from store.urls import canonical_url

    sessions = read_session_factory(database_url)
    # A stored article fetched again sets ``checked`` (and ``updated`` if it had changed).
    last_fetch = func.coalesce(Article.checked, Article.updated, Article.fetched)

    def lookup(url: str) -> datetime | None:
        stmt = select(last_fetch).where(Article.canonical_url == canonical_url(url)).limit(1)
        with sessions() as session:
            return session.scalar(stmt)

    return lookup


class StoredArticleMiddleware:
    """Downloader middleware dropping article requests whose URL ``is_stored`` knows.

    Stats: ``newswatch/skipped_stored`` counts the dropped requests,
    ``newswatch/refetched_modified`` the stored articles fetched again because they changed.
    """

    def __init__(self, is_stored: Lookup, stats: StatsCollector | None = None) -> None:
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
        stored = self.is_stored(request.url)
        if not stored:
            return None
        modified = request.meta.get(MODIFIED_META)
        if isinstance(stored, datetime) and isinstance(modified, datetime) and modified > stored:
            self._inc("newswatch/refetched_modified")
            logger.info("Modified since it was stored, fetched again: %(url)s",
                        {"url": request.url})
            return None
        self._inc("newswatch/skipped_stored")
        logger.debug("Already stored, not fetched: %(url)s", {"url": request.url})
        raise AlreadyStored(f"already stored: {request.url}")

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)
