"""The generic news spider: one configured site, no code needed.

It reads the site's feeds and sitemaps (see :mod:`spiders.listings`) and follows the article
links of its section pages, then extracts each article page (see :mod:`spiders.extract`) and
yields ``Article.to_dict()``.

A site that needs code gets a module in ``spiders/sites/`` whose spider subclasses
:class:`NewsSpider`, sets ``name`` to the site's name, may list its own ``feeds``,
``sitemaps`` and ``start_urls``, and overrides the documented hooks: :meth:`is_article_url`,
:meth:`article_request`, :meth:`parse_article`, :meth:`extract`, :meth:`complete_article`.

Settings read: ``NEWSWATCH_MAX_AGE`` (a site's ``max_age`` wins), ``NEWSWATCH_MIN_BODY_CHARS``,
``NEWSWATCH_MAX_ERRORS``, ``NEWSWATCH_MAX_SITEMAP_DEPTH``, ``DOWNLOAD_MAXSIZE``,
``REDIRECT_MAX_TIMES``. Each feed, sitemap and section page is read once per crawl
(:mod:`spiders.budget`). Stats keys:
``newswatch/sources/requested|ok|failed|empty|not_modified``, ``newswatch/entries`` (URLs
found), ``newswatch/skipped_old``, ``newswatch/pages/not_article``, ``newswatch/pages/not_html``,
``newswatch/pages/problems/<problem>``, ``newswatch/items/extracted``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from spiders.budget import DEPTH_META, ListingVisits
from spiders.conditional import CHILDREN_META, PARENT_META, VIA_META
from spiders.dates import publication_time
from spiders.extract import MIN_BODY_CHARS, extract_article
from spiders.links import looks_like_article_url, same_site
from spiders.listings import Entry, ListingError, parse_listing
from spiders.middlewares import ARTICLE_META, MODIFIED_META
from spiders.outcomes import SOURCE_META, record_error
from spiders.pages import NotHtml, Page, read_html
from store.items import Article, SiteSpec
from store.urls import canonical_url

__all__ = ["NewsSpider"]

#: Meta key carrying the feed or sitemap Entry an article request came from.
ENTRY_META = "newswatch_entry"


class NewsSpider(scrapy.Spider):
    """Crawls one site described by a :class:`~store.items.SiteSpec`.

    ``site`` is a SiteSpec, its dict, or its JSON (``scrapy crawl news -a site='{...}'``).
    """

    name = "news"

    #: The site's feeds, sitemaps and section pages, used when its config lists none.
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()

    #: Regular expressions; when any is given, a section link is an article only if it matches.
    #: A site's ``article_urls`` (config) adds to these.
    article_url_allow: tuple[str, ...] = ()
    #: Regular expressions; a section link matching one is never an article.
    article_url_deny: tuple[str, ...] = ()

    def __init__(self, site: SiteSpec | dict[str, Any] | str | None = None, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = self.configured(_site_spec(site, default_name=self.name))
        self.max_age = timedelta(0)
        self.min_chars = MIN_BODY_CHARS
        self.max_errors = 50
        self.max_listing_size = 0
        self._allow = [re.compile(p) for p in (*self.article_url_allow, *self.site.article_urls)]
        self._deny = [re.compile(p) for p in self.article_url_deny]
        self._requested: set[str] = set()
        self.listings: ListingVisits | None = None

    @classmethod
    def configured(cls, spec: SiteSpec) -> SiteSpec:
        """The site this spider crawls for ``spec``: the class's own feeds, sitemaps and
        section pages fill in what the config does not list."""
        return replace(
            spec,
            feeds=spec.feeds or tuple(cls.feeds),
            sitemaps=spec.sitemaps or tuple(cls.sitemaps),
            start_urls=spec.start_urls or tuple(cls.start_urls),
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        max_age = settings.getfloat("NEWSWATCH_MAX_AGE")
        if spider.site.max_age is not None:
            max_age = spider.site.max_age
        if max_age < 0:
            raise ValueError(f"NEWSWATCH_MAX_AGE ({max_age}) must be 0 (keep all) or more")
        min_chars = settings.getint("NEWSWATCH_MIN_BODY_CHARS", MIN_BODY_CHARS)
        if min_chars < 1:
            raise ValueError(f"NEWSWATCH_MIN_BODY_CHARS ({min_chars}) must be 1 or more")
        spider.max_age = timedelta(seconds=max_age)
        spider.min_chars = min_chars
        spider.max_errors = settings.getint("NEWSWATCH_MAX_ERRORS", 50)
        spider.max_listing_size = settings.getint("DOWNLOAD_MAXSIZE")
        spider.listings = ListingVisits(
            max_depth=settings.getint("NEWSWATCH_MAX_SITEMAP_DEPTH", 3))
        return spider

    async def start(self) -> AsyncIterator[Request]:
        sources = [(url, "feed") for url in self.site.feeds]
        sources += [(url, "sitemap") for url in self.site.sitemaps]
        sources += [(url, "section") for url in self.site.start_urls]
        for url, kind in sources:
            request = self.source_request(url, kind)
            if request is not None:
                yield request

    # -- hooks ------------------------------------------------------------------------------

    def is_article_url(self, url: str) -> bool:
        """Whether a link found on a section page, or in a plain sitemap, is an article.

        The default applies ``article_url_deny``, then ``article_url_allow`` when given, else
        :func:`spiders.links.looks_like_article_url`.
        """
        if any(pattern.search(url) for pattern in self._deny):
            return False
        if self._allow:
            return any(pattern.search(url) for pattern in self._allow)
        return looks_like_article_url(url)

    def article_request(self, url: str, entry: Entry | None = None, *,
                        via: str | None = None) -> Request | None:
        """The request for one article page, or None when this crawl already asked for it.

        Tracking parameters are dropped before the request is made, so two links to one
        article cost one download. ``via`` is the listing or section page that linked it.
        """
        url = canonical_url(url)
        if url in self._requested:
            return None
        self._requested.add(url)
        meta = {ARTICLE_META: True, ENTRY_META: entry, VIA_META: via}
        if entry is not None and entry.modified is not None:
            meta[MODIFIED_META] = entry.modified
        # dont_filter: this spider dedupes by canonical URL above; Scrapy's duplicate filter
        # would also swallow a page that redirects to itself, hiding a redirect loop.
        return Request(url, callback=self.parse_article, errback=self.request_failed, meta=meta,
                       dont_filter=True)

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        """Extract the article on ``response`` and yield it as ``Article.to_dict()``."""
        entry: Entry | None = response.meta.get(ENTRY_META)
        try:
            page = read_html(response)
        except NotHtml as exc:
            self.crawler.stats.inc_value("newswatch/pages/not_html")
            self._page_problem(response.url, str(exc), level=logging.WARNING)
            return
        for problem in page.problems:
            self._page_problem(response.url, problem)
        article = self.extract(page, response, entry)
        if article is None:
            self.crawler.stats.inc_value("newswatch/pages/not_article")
            self.logger.info("Not an article: %(url)s", {"url": response.url})
            return
        article = self.complete_article(article, entry)
        # Whatever the page, its listing or the hooks said: a time it can have had when fetched.
        listed = entry.published if entry else None
        published = publication_time(article.published, listed, fetched=article.fetched)
        if published != article.published:
            article = replace(article, published=published)
        self.crawler.stats.inc_value("newswatch/items/extracted")
        yield article.to_dict()

    def extract(self, page: Page, response: Response, entry: Entry | None) -> Article | None:
        """The article in ``page`` (fetched as ``response``), or None when it holds none."""
        return extract_article(page.html, response.url, self.site.name,
                               published_hint=entry.published if entry else None,
                               min_chars=self.min_chars)

    def complete_article(self, article: Article, entry: Entry | None) -> Article:
        """Fill what the page lacks from the feed or sitemap entry that led to it."""
        if entry is None:
            return article
        changes: dict[str, Any] = {}
        if article.published is None and entry.published is not None:
            changes["published"] = entry.published
        if not article.title and entry.title:
            changes["title"] = entry.title
        return replace(article, **changes) if changes else article

    # -- sources ----------------------------------------------------------------------------

    def source_request(self, url: str, kind: str, *, parent: str | None = None,
                       depth: int = 0) -> Request | None:
        """The request for a feed, sitemap or section page: never skipped as stored, asked
        for conditionally when the last answer's validators are known. None when this crawl
        already asked for it, or when it sits ``depth`` sitemap indexes deep, past the
        crawl's ``NEWSWATCH_MAX_SITEMAP_DEPTH``."""
        visit = self.listings.visit(url, depth) if self.listings is not None else "new"
        if visit == "seen":
            self.crawler.stats.inc_value("newswatch/budget/seen_again")
            return None
        if visit == "too_deep":
            self.crawler.stats.inc_value("newswatch/budget/too_deep")
            self.logger.info("Not reading %(url)s: sitemap indexes nested deeper than %(max)d",
                             {"url": url, "max": self.listings.max_depth})
            return None
        self.crawler.stats.inc_value("newswatch/sources/requested")
        callback = self.parse_section if kind == "section" else self.parse_listing
        meta: dict[str, Any] = {SOURCE_META: kind, DEPTH_META: depth}
        if parent:
            meta[PARENT_META] = parent
        return Request(url, callback=callback, errback=self.request_failed, meta=meta,
                       dont_filter=True)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Read a feed, sitemap or sitemap index and request what it lists."""
        if response.status == 304:
            yield from self._not_modified(response)
            return
        try:
            listing = parse_listing(response.body, response.url, max_size=self.max_listing_size)
        except ListingError as exc:
            self._source_failed(response.url, str(exc))
            return
        self.crawler.stats.inc_value("newswatch/sources/ok")
        if self.listings is not None:
            self.listings.mark(response.url)
        if not listing.entries:
            self.crawler.stats.inc_value("newswatch/sources/empty")
            self._page_problem(response.url, f"the {listing.kind} lists no entries",
                               level=logging.WARNING)
        fresh = [entry for entry in listing.entries if self._is_fresh(entry)]
        self.logger.info(
            "%(kind)s %(url)s: %(count)d entries, %(fresh)d recent",
            {"kind": listing.kind, "url": response.url, "count": len(listing.entries),
             "fresh": len(fresh)},
        )
        if listing.kind == "sitemapindex":
            yield from self._sitemaps([entry.url for entry in fresh], response)
            return
        for entry in fresh:
            # Plain sitemaps list every page of a site; feeds and news sitemaps list articles.
            if listing.kind == "sitemap" and entry.title is None and not self.is_article_url(
                    entry.url):
                continue
            request = self.article_request(entry.url, entry, via=response.request.url)
            if request is not None:
                self.crawler.stats.inc_value("newswatch/entries")
                yield request

    def parse_section(self, response: Response) -> Iterator[Request]:
        """Follow the same-site article links of a section page."""
        if response.status == 304:
            yield from self._not_modified(response)
            return
        if not isinstance(response, TextResponse):
            self._source_failed(response.url, "not an HTML page")
            return
        self.crawler.stats.inc_value("newswatch/sources/ok")
        count = 0
        for url in self.section_links(response):
            request = self.article_request(url, via=response.request.url)
            if request is not None:
                count += 1
                self.crawler.stats.inc_value("newswatch/entries")
                yield request
        self.logger.info("section %(url)s: %(count)d article links",
                         {"url": response.url, "count": count})

    def section_links(self, response: TextResponse) -> list[str]:
        """The same-site article links of a section page, in page order, each once."""
        links: dict[str, None] = {}
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip())
            if same_site(url, response.url) and self.is_article_url(url):
                links.setdefault(url, None)
        return list(links)

    def request_failed(self, failure: Failure) -> None:
        """Errback of every request. Download errors and HTTP errors are counted by
        :class:`spiders.outcomes.PageOutcomeMiddleware`; what it cannot see is a response
        that a middleware turned into an ignored request after the download: a redirect loop
        (RedirectMiddleware) or a body past DOWNLOAD_MAXSIZE once decompressed
        (HttpCompressionMiddleware)."""
        request = getattr(failure, "request", None)
        if request is None or not isinstance(failure.value, IgnoreRequest):
            return
        if "max redirections" in str(failure.value):
            hops = self.crawler.settings.getint("REDIRECT_MAX_TIMES")
            reason = f"redirect loop (more than {hops} redirects)"
        elif "during decompression" in str(failure.value):
            reason = "Too large once decompressed: over DOWNLOAD_MAXSIZE"
        else:
            return
        self.crawler.stats.inc_value("newswatch/pages/failed")
        self.logger.warning("Failed %(url)s: %(reason)s", {"url": request.url, "reason": reason})
        record_error(self.crawler.stats, request.url, reason, limit=self.max_errors)

    def _not_modified(self, response: Response) -> Iterator[Request]:
        """A 304: nothing new in this listing; an unchanged sitemap index still leads to its
        sitemaps, which may have changed on their own."""
        self.crawler.stats.inc_value("newswatch/sources/ok")
        children = list(response.meta.get(CHILDREN_META) or ())
        self.logger.info("%(url)s not modified (%(children)d sitemaps listed)",
                         {"url": response.url, "children": len(children)})
        yield from self._sitemaps(children, response)

    def _sitemaps(self, urls: list[str], index: Response) -> Iterator[Request]:
        """Requests for the sitemaps a sitemap index lists, one level deeper than it."""
        depth = int(index.meta.get(DEPTH_META, 0)) + 1
        for url in urls:
            request = self.source_request(url, "sitemap", parent=index.request.url, depth=depth)
            if request is not None:
                yield request

    def _is_fresh(self, entry: Entry) -> bool:
        if not self.max_age or entry.when is None:
            return True
        if entry.when >= datetime.now(UTC) - self.max_age:
            return True
        self.crawler.stats.inc_value("newswatch/skipped_old")
        return False

    def _source_failed(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value("newswatch/sources/failed")
        self.logger.warning("Unusable source %(url)s: %(reason)s", {"url": url, "reason": reason})
        record_error(self.crawler.stats, url, reason, limit=self.max_errors)

    def _page_problem(self, url: str, problem: str, *, level: int = logging.INFO) -> None:
        """Something was wrong with a page that was still read: counted, logged, reported."""
        key = re.sub(r"[^a-z0-9]+", "_", problem.split(";")[0].split("(")[0].lower()).strip("_")
        self.crawler.stats.inc_value(f"newswatch/pages/problems/{key[:40]}")
        self.logger.log(level, "%(url)s: %(problem)s", {"url": url, "problem": problem})
        record_error(self.crawler.stats, url, problem, limit=self.max_errors)


def _site_spec(site: SiteSpec | dict[str, Any] | str | None, *, default_name: str) -> SiteSpec:
    if isinstance(site, SiteSpec):
        return site
    if isinstance(site, str):
        site = json.loads(site)
    if site is None:
        return SiteSpec(name=default_name)
    if not isinstance(site, dict) or not site.get("name"):
        raise ValueError(f"site must be a SiteSpec, its dict or its JSON (got {site!r})")
    return SiteSpec.from_dict(site)
