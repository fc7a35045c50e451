"""A crawl's budget: listings read once per address and so deep, requests capped per site."""

from __future__ import annotations

import pytest
from scrapy.http import Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from spiders.budget import ListingVisits, OverBudget, PageBudgetMiddleware
from spiders.middlewares import ARTICLE_META
from spiders.outcomes import SOURCE_META

INDEX = "https://ledger.example/sitemap.xml"


def test_a_listing_is_new_once_whatever_its_spelling():
    visits = ListingVisits(max_depth=3)
    assert visits.visit(INDEX) == "new"
    for spelling in (INDEX, f"{INDEX}#top", "HTTPS://Ledger.Example/sitemap.xml",
                     f"{INDEX}?utm_source=feed", "https://ledger.example:443/sitemap.xml"):
        assert visits.visit(spelling, depth=1) == "seen", spelling
    assert visits.visit(f"{INDEX}?page=2", depth=1) == "new"


def test_a_redirect_target_counts_as_visited():
    visits = ListingVisits(max_depth=3)
    visits.mark("https://ledger.example/sitemaps/index.xml")
    assert visits.visit("https://ledger.example/sitemaps/index.xml") == "seen"


def test_listings_deeper_than_the_limit_are_not_read():
    visits = ListingVisits(max_depth=2)
    assert [visits.visit(f"{INDEX}?level={d}", depth=d) for d in range(4)] == [
        "new", "new", "new", "too_deep"]
    assert visits.visit(f"{INDEX}?level=0", depth=3) == "seen"
    assert visits.visit(f"{INDEX}?level=3", depth=1) == "new"


def test_a_negative_depth_limit_is_refused_with_the_setting_named():
    with pytest.raises(ValueError, match=r"NEWSWATCH_MAX_SITEMAP_DEPTH \(-1\) must be 0 or more"):
        ListingVisits(max_depth=-1)


def middleware(max_pages: int) -> PageBudgetMiddleware:
    crawler = get_crawler(settings_dict={"NEWSWATCH_MAX_PAGES": max_pages})
    stats = MemoryStatsCollector(crawler)
    return PageBudgetMiddleware(stats, max_pages=crawler.settings.getint("NEWSWATCH_MAX_PAGES"))


def test_listing_and_article_requests_past_max_pages_are_dropped_and_counted():
    budget = middleware(3)
    requests = [Request(INDEX, meta={SOURCE_META: "sitemap"})] + [
        Request(f"https://ledger.example/a/{n}", meta={ARTICLE_META: True}) for n in range(4)]
    for request in requests[:3]:
        assert budget.process_request(request) is None
    with pytest.raises(OverBudget, match="over max_pages=3"):
        budget.process_request(requests[3])
    with pytest.raises(OverBudget):
        budget.process_request(requests[4])
    assert budget.stats.get_value("newswatch/budget/requests") == 3
    assert budget.stats.get_value("newswatch/budget/max_pages") == 3
    assert budget.stats.get_value("newswatch/budget/dropped") == 2


def test_robots_retries_and_redirects_cost_nothing():
    budget = middleware(1)
    article = {ARTICLE_META: True}
    for request in (
        Request("https://ledger.example/robots.txt", meta={"dont_obey_robotstxt": True}),
        Request("https://ledger.example/a/1", meta={**article, "retry_times": 1}),
        Request("https://ledger.example/a/2", meta={**article, "redirect_times": 1}),
        Request("https://ledger.example/a/3", meta=article),
    ):
        assert budget.process_request(request) is None
    assert budget.stats.get_value("newswatch/budget/requests") == 1


def test_max_pages_below_one_is_refused_with_the_setting_named():
    with pytest.raises(ValueError, match=r"NEWSWATCH_MAX_PAGES \(0\) must be 1 or more"):
        middleware(0)
