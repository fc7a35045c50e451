"""A second crawl of an unchanged site costs one 304 per listing and no article download."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from spiders.runner import crawl_site
from spiders.sample_server import SAMPLE_SITE, SampleSiteServer, sample_site_server
from store.articles import SavedArticle, save_articles
from store.crawlruns import record_crawl_run
from store.db import session_factory
from store.items import CrawlResult, SiteSpec
from store.models import FeedValidator
from tests.spiders.conftest import FAST

LISTINGS = ("/courier/rss.xml", "/ledger/sitemap.xml", "/ledger/sitemap-news.xml",
            "/ledger/world/")
ARTICLE_PATH = re.compile(r"^/(courier/\w+/[\w-]+\.html|ledger/news/\d+/[\w-]+)$")


@pytest.fixture
def site_root(tmp_path):
    """A private copy of the sample site, which a test may edit."""
    root = tmp_path / "site"
    shutil.copytree(SAMPLE_SITE, root)
    return root


@pytest.fixture
def server(site_root) -> Iterator[SampleSiteServer]:
    with sample_site_server(root=site_root) as server:
        yield server


def sites(base: str) -> list[SiteSpec]:
    return [
        SiteSpec(name="courier", feeds=(f"{base}/courier/rss.xml",)),
        SiteSpec(name="ledger", sitemaps=(f"{base}/ledger/sitemap.xml",),
                 start_urls=(f"{base}/ledger/world/",)),
    ]


def crawl(site: SiteSpec, database_url: str, tmp_path, **settings) -> CrawlResult:
    return crawl_site(site, workdir=tmp_path / "work", database_url=database_url,
                      settings={**FAST, **settings}, timeout=120)


def store(result: CrawlResult, database_url: str) -> list[SavedArticle]:
    """What the flow's store step does: the articles and the crawl run, in one transaction."""
    now = datetime.now(UTC)
    with session_factory(database_url).begin() as session:
        saved = save_articles(session, result.articles)
        record_crawl_run(
            session, site=result.site,
            started=datetime.fromisoformat(result.stats["start_time"]), finished=now,
            pages=result.stats.get("response_received_count", 0),
            articles_found=len(result.articles),
            articles_new=sum(1 for s in saved if s.status == "new"),
            articles_updated=sum(1 for s in saved if s.status == "updated"),
            failed=result.failed, errors=list(result.errors))
    return saved


def article_downloads(server: SampleSiteServer) -> int:
    return sum(n for path, n in server.hits.items() if ARTICLE_PATH.match(path))


def test_second_crawl_of_an_unchanged_site_costs_one_304_per_listing(server, database_url,
                                                                      tmp_path):
    sqlite_url = database_url  # and PostgreSQL, when the test database is set
    for site in sites(server.base_url):
        first = crawl(site, sqlite_url, tmp_path)
        assert not first.failed, first.errors
        assert len(store(first, sqlite_url)) == 5
    assert article_downloads(server) == 10
    server.hits.clear()
    server.statuses.clear()

    for site in sites(server.base_url):
        second = crawl(site, sqlite_url, tmp_path)
        assert not second.failed, second.errors
        assert second.errors == ()
        assert second.articles == ()
        store(second, sqlite_url)

    assert article_downloads(server) == 0
    for path in LISTINGS:
        assert server.hits[path] == 1, path
        assert server.statuses[path, 304] == 1, path
    # Besides the listings, only robots.txt (once per crawl) was asked for.
    assert set(server.hits) == {*LISTINGS, "/robots.txt"}
    assert second.stats["newswatch/sources/not_modified"] == 3

    # A 304 does not spoil what is kept: the third crawl is as cheap as the second.
    server.statuses.clear()
    third = crawl(sites(server.base_url)[1], sqlite_url, tmp_path)
    assert not third.failed, third.errors
    assert sorted(path for path, status in server.statuses if status != 304) == ["/robots.txt"]


def test_validators_of_a_crawl_that_was_never_stored_are_not_used(server, sqlite_url, tmp_path):
    """A crash between crawl and store must not turn the next crawl's answer into a 304."""
    site = sites(server.base_url)[0]
    crawl(site, sqlite_url, tmp_path)  # articles never stored, no crawl run recorded
    with session_factory(sqlite_url)() as session:
        assert session.query(FeedValidator).count() == 1
    server.hits.clear()
    server.statuses.clear()

    again = crawl(site, sqlite_url, tmp_path)

    assert server.statuses["/courier/rss.xml", 200] == 1
    assert len(again.articles) == 5
    assert article_downloads(server) == 5


def test_an_article_that_failed_keeps_its_listing_unconditional(server, sqlite_url, tmp_path):
    site = sites(server.base_url)[0]
    flaky = "/courier/sport/late-okafor-winner-sends-rovers-top-20402.html"
    server.failing.add(flaky)
    first = crawl(site, sqlite_url, tmp_path)
    assert first.errors == (f"{server.base_url}{flaky}: HTTP 503",)
    store(first, sqlite_url)
    server.failing.clear()
    server.hits.clear()
    server.statuses.clear()

    second = crawl(site, sqlite_url, tmp_path)

    assert server.statuses["/courier/rss.xml", 200] == 1  # read in full again
    assert [a.canonical_url for a in second.articles] == [server.base_url + flaky]
    assert article_downloads(server) == 1
    store(second, sqlite_url)
    server.statuses.clear()

    assert crawl(site, sqlite_url, tmp_path).articles == ()
    assert server.statuses["/courier/rss.xml", 304] == 1


def test_an_article_edited_in_place_is_fetched_again(server, site_root, sqlite_url, tmp_path):
    site = SiteSpec(name="ledger", sitemaps=(f"{server.base_url}/ledger/sitemap-news.xml",))
    assert len(store(crawl(site, sqlite_url, tmp_path), sqlite_url)) == 4
    edited = "/ledger/news/88405/eurozone-inflation-eases-as-energy-prices-fall"
    page = site_root / "ledger/news/88405/eurozone-inflation-eases-as-energy-prices-fall.html"
    page.write_text(page.read_text().replace("eased", "cooled", 1))
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    sitemap = site_root / "ledger/sitemap-news.xml"
    sitemap.write_text(sitemap.read_text().replace(
        f"<loc>{{{{base}}}}{edited}</loc>",
        f"<loc>{{{{base}}}}{edited}</loc><lastmod>{later}</lastmod>"))
    server.hits.clear()

    second = crawl(site, sqlite_url, tmp_path)

    assert server.hits[edited] == 1
    assert article_downloads(server) == 1  # the others are unchanged and not fetched
    assert second.stats["newswatch/refetched_modified"] == 1
    (saved,) = store(second, sqlite_url)
    assert saved.status == "updated"
    assert "cooled" in second.articles[0].text


def test_an_unchanged_index_still_leads_to_its_changed_sitemaps(server, site_root, sqlite_url,
                                                                  tmp_path):
    site = SiteSpec(name="ledger", sitemaps=(f"{server.base_url}/ledger/sitemap.xml",))
    store(crawl(site, sqlite_url, tmp_path), sqlite_url)
    sitemap = site_root / "ledger/sitemap-news.xml"
    sitemap.write_text(sitemap.read_text().replace(
        "/ledger/news/88377/kipruto-breaks-berlin-marathon-course-record",
        "/ledger/news/88409/heatwave-warning-for-southern-spain"))
    server.statuses.clear()

    second = crawl(site, sqlite_url, tmp_path)

    assert server.statuses["/ledger/sitemap.xml", 304] == 1
    assert server.statuses["/ledger/sitemap-news.xml", 200] == 1
    assert [a.title for a in second.articles] == [
        "Heatwave warning issued for southern Spain as temperatures near 44C"]


def test_conditional_requests_can_be_turned_off(server, sqlite_url, tmp_path):
    site = sites(server.base_url)[0]
    store(crawl(site, sqlite_url, tmp_path), sqlite_url)
    server.statuses.clear()

    crawl(site, sqlite_url, tmp_path, NEWSWATCH_CONDITIONAL_ENABLED=False)

    assert server.statuses["/courier/rss.xml", 200] == 1
