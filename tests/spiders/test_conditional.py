from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError

from spiders.budget import OverBudget
from spiders.conditional import ConditionalRequestMiddleware
from spiders.validators import DatabaseValidators, Record, Validators

FEED = "https://news.example/rss.xml"
INDEX = "https://news.example/sitemap.xml"
ARTICLE = "https://news.example/world/a-story-here"
ETAG = '"abc123"'
LAST_MODIFIED = "Sat, 30 Nov 2024 10:00:00 GMT"


class FakeStore:
    def __init__(self, trusted=None, children=None):
        self._trusted = trusted or {}
        self._children = children or {}
        self.saved: list[tuple[str, list[Record], datetime, set[str]]] = []

    def trusted(self, url):
        return self._trusted.get(url)

    def children(self, url):
        return self._children.get(url, [])

    def save(self, site, records, *, checked, refreshed):
        self.saved.append((site, list(records), checked, set(refreshed)))


def make(store):
    crawler = get_crawler()
    crawler.stats.open_spider()
    middleware = ConditionalRequestMiddleware(store, crawler.stats, site="news")
    return middleware, crawler.stats


def source(url, **meta):
    return Request(url, meta={"newswatch_source": "feed", **meta})


def response(request, status=200, **headers):
    return Response(request.url, status=status, headers=headers, request=request)


def test_known_validators_make_the_request_conditional():
    middleware, stats = make(FakeStore({FEED: Validators(etag=ETAG,
                                                         last_modified=LAST_MODIFIED)}))
    request = source(FEED)

    middleware.process_request(request)

    assert request.headers["If-None-Match"] == ETAG.encode()
    assert request.headers["If-Modified-Since"] == LAST_MODIFIED.encode()
    assert 304 in request.meta["handle_httpstatus_list"]
    assert stats.get_value("newswatch/conditional/sent") == 1


def test_articles_and_unknown_listings_are_asked_for_plainly():
    middleware, _ = make(FakeStore({ARTICLE: Validators(etag=ETAG)}))
    article = Request(ARTICLE, meta={"newswatch_article": True})
    unknown = source(FEED, handle_httpstatus_list=[404])
    # Redirected from a listing whose conditions do not apply here.
    unknown.headers["If-None-Match"] = ETAG

    middleware.process_request(article)
    middleware.process_request(unknown)

    assert b"If-None-Match" not in article.headers
    assert b"If-None-Match" not in unknown.headers
    assert unknown.meta["handle_httpstatus_list"] == [404]


def test_a_304_carries_the_children_of_an_unchanged_index():
    children = ["https://news.example/sitemap-news.xml"]
    middleware, stats = make(FakeStore(children={INDEX: children}))
    request = source(INDEX)

    middleware.process_response(request, response(request, 304))

    assert request.meta["newswatch_children"] == children
    assert stats.get_value("newswatch/sources/not_modified") == 1


def test_validators_are_saved_when_the_crawl_finished():
    store = FakeStore()
    middleware, stats = make(store)
    started = datetime(2024, 11, 30, 10, 0, tzinfo=UTC)
    stats.set_value("start_time", started)
    feed = source(FEED)
    child = source("https://news.example/sitemap-news.xml", newswatch_parent=INDEX)
    middleware.process_response(feed, response(feed, ETag=ETAG))
    middleware.process_response(child, response(child))

    middleware.spider_closed(None, "finished")

    ((site, records, checked, refreshed),) = store.saved
    assert site == "news"
    assert records == [
        Record(url=FEED, validators=Validators(etag=ETAG)),
        Record(url="https://news.example/sitemap-news.xml", parent=INDEX),
    ]
    assert checked == started
    assert refreshed == {FEED, "https://news.example/sitemap-news.xml"}


@pytest.mark.parametrize("reason", ["shutdown", "closespider_timeout", "cancelled"])
def test_nothing_is_saved_when_the_crawl_ended_early(reason):
    store = FakeStore()
    middleware, _ = make(store)
    feed = source(FEED)
    middleware.process_response(feed, response(feed, ETag=ETAG))

    middleware.spider_closed(None, reason)

    assert store.saved == []


@pytest.mark.parametrize("failure", ["status 503", "status 429", "timeout", "max_pages"])
def test_a_listing_whose_article_failed_for_now_is_not_trusted(failure):
    store = FakeStore()
    middleware, stats = make(store)
    feed = source(FEED)
    middleware.process_response(feed, response(feed, ETag=ETAG))
    article = Request(ARTICLE, meta={"newswatch_article": True, "newswatch_via": FEED})
    if failure == "timeout":
        middleware.process_exception(article, TimeoutError())
    elif failure == "max_pages":  # left out to keep the budget: the next crawl asks for it
        middleware.process_exception(article, OverBudget("over max_pages=5"))
    else:
        middleware.process_response(article, response(article, int(failure.split()[1])))

    middleware.spider_closed(None, "finished")

    assert store.saved[0][1] == [Record(url=FEED)]
    assert stats.get_value("newswatch/conditional/unsaved") == 1


def test_a_listing_whose_article_is_gone_is_still_trusted():
    store = FakeStore()
    middleware, _ = make(store)
    feed = source(FEED)
    middleware.process_response(feed, response(feed, ETag=ETAG))
    article = Request(ARTICLE, meta={"newswatch_article": True, "newswatch_via": FEED})
    middleware.process_response(article, response(article, 404))

    middleware.spider_closed(None, "finished")

    assert store.saved[0][1] == [Record(url=FEED, validators=Validators(etag=ETAG))]


def test_off_without_a_database_or_when_disabled():
    with pytest.raises(NotConfigured):
        ConditionalRequestMiddleware.from_crawler(get_crawler())
    crawler = get_crawler(settings_dict={"NEWSWATCH_DATABASE_URL": "sqlite://",
                                         "NEWSWATCH_CONDITIONAL_ENABLED": False})
    with pytest.raises(NotConfigured):
        ConditionalRequestMiddleware.from_crawler(crawler)


# -- the database store ----------------------------------------------------------------------

def test_database_store_trusts_validators_once_their_crawl_is_stored(database_url):
    from store.crawlruns import record_crawl_run
    from store.db import session_factory

    sessions = session_factory(database_url)
    store = DatabaseValidators(sessions)
    checked = datetime(2024, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)
    store.save("news", [Record(url=FEED, validators=Validators(etag=ETAG)),
                        Record(url="https://news.example/a.xml", parent=INDEX)],
               checked=checked, refreshed=[INDEX])

    assert store.trusted(FEED) is None  # its articles are not stored yet
    assert store.children(INDEX) == ["https://news.example/a.xml"]

    with sessions.begin() as session:
        record_crawl_run(session, site="news", started=checked, finished=checked, pages=1,
                         articles_found=0, articles_new=0, articles_updated=0, failed=False,
                         errors=[])

    assert store.trusted(FEED) == Validators(etag=ETAG)
    assert store.trusted("https://news.example/a.xml") is None  # no validators of its own

    # The index read again lists another sitemap: the old one is no longer its child.
    store.save("news", [Record(url="https://news.example/b.xml", parent=INDEX)],
               checked=checked, refreshed=[INDEX])
    assert store.children(INDEX) == ["https://news.example/b.xml"]
