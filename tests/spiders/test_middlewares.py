from __future__ import annotations

import json
import sys
import types
from datetime import UTC, datetime

import pytest
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from spiders.middlewares import AlreadyStored, StoredArticleMiddleware, database_lookup
from spiders.runner import crawl_site
from store.items import Article, SiteSpec

STORED = "https://news.example/world/stored-story-here"
NEW = "https://news.example/world/new-story-here"


def article(url: str, **meta: object) -> Request:
    return Request(url, meta={"newswatch_article": True, **meta})


def test_stored_article_is_skipped_and_counted():
    crawler = get_crawler()
    middleware = StoredArticleMiddleware({STORED}.__contains__, crawler.stats)

    with pytest.raises(AlreadyStored):
        middleware.process_request(article(STORED))
    assert middleware.process_request(article(NEW)) is None
    assert crawler.stats.get_value("newswatch/skipped_stored") == 1


def test_skipping_is_an_ignored_request():
    assert issubclass(AlreadyStored, IgnoreRequest)


@pytest.mark.parametrize("meta", [{}, {"newswatch_source": "feed"}, {"newswatch_article": False}])
def test_feeds_sitemaps_and_sections_are_never_checked(meta):
    asked: list[str] = []
    middleware = StoredArticleMiddleware(lambda url: asked.append(url) or True)

    assert middleware.process_request(Request(STORED, meta=meta)) is None
    assert asked == []


def test_refetch_meta_fetches_a_stored_article():
    middleware = StoredArticleMiddleware({STORED}.__contains__)
    assert middleware.process_request(article(STORED, newswatch_refetch=True)) is None


def test_not_configured_without_a_database_url():
    with pytest.raises(NotConfigured):
        StoredArticleMiddleware.from_crawler(get_crawler())


def test_from_crawler_builds_the_lookup_from_the_named_factory(monkeypatch):
    module = types.ModuleType("lookup_for_test")
    module.make = lambda url: {f"{url}/stored"}.__contains__
    monkeypatch.setitem(sys.modules, "lookup_for_test", module)
    crawler = get_crawler(settings_dict={"NEWSWATCH_DATABASE_URL": "https://db.example",
                                         "NEWSWATCH_STORED_LOOKUP": "lookup_for_test.make"})

    middleware = StoredArticleMiddleware.from_crawler(crawler)

    assert middleware.is_stored("https://db.example/stored")
    assert not middleware.is_stored("https://db.example/other")


def test_database_lookup_answers_when_the_article_was_last_fetched(database_url):
    from store.articles import save_article
    from store.db import session_factory

    fetched = datetime(2024, 11, 30, 9, 0, tzinfo=UTC)
    with session_factory(database_url).begin() as session:
        save_article(session, Article(url=STORED + "?utm_source=x", canonical_url=STORED,
                                      site="news", title="T", text="Body.", fetched=fetched))

    lookup = database_lookup(database_url)

    assert lookup(STORED + "?utm_medium=feed") == fetched
    assert lookup(NEW) is None


def test_an_entry_modified_after_the_stored_fetch_is_fetched_again():
    fetched = datetime(2024, 11, 30, 9, 0, tzinfo=UTC)
    crawler = get_crawler()
    middleware = StoredArticleMiddleware({STORED: fetched}.get, crawler.stats)

    later = datetime(2024, 11, 30, 10, 0, tzinfo=UTC)
    assert middleware.process_request(article(STORED, newswatch_modified=later)) is None
    with pytest.raises(AlreadyStored):
        middleware.process_request(article(STORED, newswatch_modified=fetched))
    with pytest.raises(AlreadyStored):
        middleware.process_request(article(STORED))
    assert crawler.stats.get_value("newswatch/refetched_modified") == 1
    assert crawler.stats.get_value("newswatch/skipped_stored") == 2


LOOKUP_MODULE = '''
import json
import pathlib


def from_file(path):
    return set(json.loads(pathlib.Path(path).read_text())).__contains__
'''


def test_crawl_never_downloads_stored_articles(sample_site, fast_settings, tmp_path, monkeypatch):
    base = sample_site.base_url
    stored_path = "/courier/world/putin-to-visit-china-next-month-kremlin-says-20417.html"
    # The child process imports the lookup from this test's directory.
    (tmp_path / "stored_lookup_for_test.py").write_text(LOOKUP_MODULE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    stored = tmp_path / "stored.json"
    stored.write_text(json.dumps([base + stored_path]))
    before = sample_site.hits[stored_path]

    result = crawl_site(
        SiteSpec(name="courier", feeds=(f"{base}/courier/rss.xml",)),
        workdir=tmp_path / "work",
        database_url=str(stored),
        settings={**fast_settings, "NEWSWATCH_STORED_LOOKUP": "stored_lookup_for_test.from_file",
                  "NEWSWATCH_CONDITIONAL_ENABLED": False},
        timeout=120,
    )

    assert not result.failed, result.errors
    assert result.errors == ()
    assert sample_site.hits[stored_path] == before
    assert result.stats["newswatch/skipped_stored"] == 1
    assert len(result.articles) == 4
    assert base + stored_path not in {a.canonical_url for a in result.articles}


def test_crawl_never_downloads_articles_in_the_database(sample_site, fast_settings, tmp_path,
                                                        sqlite_url):
    from store.articles import save_article
    from store.db import session_factory

    base = sample_site.base_url
    stored_path = "/courier/sport/late-okafor-winner-sends-rovers-top-20402.html"
    with session_factory(sqlite_url).begin() as session:
        save_article(session, Article(
            url=base + stored_path + "?utm_source=rss", canonical_url=base + stored_path,
            site="courier", title="Late Okafor winner", text="Body.",
            fetched=datetime.now(UTC)))
    before = sample_site.hits[stored_path]

    result = crawl_site(SiteSpec(name="courier", feeds=(f"{base}/courier/rss.xml",)),
                        workdir=tmp_path / "work", database_url=sqlite_url,
                        settings=fast_settings, timeout=120)

    assert not result.failed, result.errors
    assert sample_site.hits[stored_path] == before
    assert result.stats["newswatch/skipped_stored"] == 1
    assert len(result.articles) == 4
