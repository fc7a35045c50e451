from __future__ import annotations

import pytest

from spiders.links import looks_like_article_url, same_site

ARTICLES = [
    "https://ledger.example/news/88412/kremlin-confirms-putin-trip-to-beijing",
    "https://courier.example/world/putin-to-visit-china-next-month-kremlin-says-20417.html",
    "https://news.example/2024/11/30/budget",
    "https://news.example/world/12345678",
    "https://news.example/a/b/the_big_story_of_the_day",
    "https://news.example/story.php/council-approves-budget?id=1",
]

NOT_ARTICLES = [
    "https://ledger.example/",
    "https://ledger.example/world/",
    "https://ledger.example/world/europe",
    "https://ledger.example/tag/russia/",
    "https://ledger.example/author/carlos-mendes/",
    "https://ledger.example/category/americas/",
    "https://ledger.example/topics/climate-crisis-latest-news",
    "https://ledger.example/world/page/2/",
    "https://ledger.example/2024/11/30/",
    "https://ledger.example/search?q=putin-visit-china",
    "https://ledger.example/images/putin-visit-china-2024.jpg",
    "https://ledger.example/feeds/world-news-rss.xml",
    "https://ledger.example/privacy/cookie-policy-details",
    "mailto:desk@ledger.example",
    "javascript:void(0)",
]


@pytest.mark.parametrize("url", ARTICLES)
def test_article_urls(url):
    assert looks_like_article_url(url)


@pytest.mark.parametrize("url", NOT_ARTICLES)
def test_listing_and_service_urls(url):
    assert not looks_like_article_url(url)


def test_same_site_ignores_www_and_scheme():
    assert same_site("https://www.ledger.example/a", "http://ledger.example/b")
    assert not same_site("https://ledger.example/a", "https://courier.example/a")
    assert not same_site("mailto:x@ledger.example", "https://ledger.example/")
