from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from spiders.listings import Entry
from spiders.news import NewsSpider
from store.items import SiteSpec

COURIER_TITLES = {
    "Putin to visit China next month, Kremlin says",
    "EU agrees overhaul of farm subsidies after months of protests",
    "Storm Bert to bring heavy rain and gales across the west",
    "Late Okafor winner sends Rovers top of the league",
    "Rail fares to rise by 4.6% in March, government confirms",
}
LEDGER_TITLES = {
    "Kremlin confirms Putin trip to Beijing",
    "Eurozone inflation eases to 2.3% as energy prices fall",
    "Floods force thousands from their homes in southern Brazil",
    "Kipruto breaks Berlin marathon course record",
    "Heatwave warning issued for southern Spain as temperatures near 44C",
}


# -- real crawls of the sample site ----------------------------------------------------------

def test_feed_discovery(courier_crawl, base_url):
    result = courier_crawl

    assert not result.failed, result.errors
    assert result.errors == ()
    assert {a.title for a in result.articles} == COURIER_TITLES
    assert all(a.site == "courier" for a in result.articles)
    # The feed's links carry utm_ parameters; requests and canonical URLs do not.
    assert all("utm_" not in a.url and "utm_" not in a.canonical_url for a in result.articles)
    assert all(a.canonical_url.startswith(base_url + "/courier/") for a in result.articles)
    assert result.stats["newswatch/sources/ok"] == 1
    assert result.stats["newswatch/items/written"] == 5


def test_sitemap_index_news_sitemap_and_section_discovery(ledger_crawl, ledger_hits):
    result = ledger_crawl
    hits = ledger_hits

    assert not result.failed, result.errors
    assert result.errors == ()
    assert {a.title for a in result.articles} == LEDGER_TITLES
    # The heatwave story is only linked from the section page.
    assert hits["/ledger/news/88409/heatwave-warning-for-southern-spain"] >= 1
    # The 2019 archive sitemap is too old to open; robots.txt forbids the drafts.
    assert result.stats["newswatch/skipped_old"] == 1
    assert hits["/ledger/sitemap-archive-2019.xml"] == 0
    assert result.stats["robotstxt/forbidden"] == 1
    assert not any(path.startswith("/ledger/drafts/") for path in hits)
    # Tag, author, category, topic and pagination links are not articles.
    for prefix in ("/ledger/tag/", "/ledger/author/", "/ledger/category/", "/ledger/topics/",
                   "/ledger/world/page/"):
        assert not any(path.startswith(prefix) for path in hits), prefix


def test_each_article_is_fetched_once(ledger_crawl, ledger_hits):
    # Linked from the sitemap, the section page and its most-popular list with utm_ tags.
    assert ledger_hits["/ledger/news/88412/kremlin-confirms-putin-trip-to-beijing"] == 1
    assert len({a.canonical_url for a in ledger_crawl.articles}) == 5


def test_the_putin_visit_story_and_its_copy(courier_crawl, ledger_crawl):
    articles = {a.title: a for a in courier_crawl.articles + ledger_crawl.articles}
    mentions = {title for title, a in articles.items()
                if "putin" in f"{a.title} {a.standfirst} {a.text}".casefold()}

    assert mentions == {"Putin to visit China next month, Kremlin says",
                        "Kremlin confirms Putin trip to Beijing"}


# -- the spider's hooks, without a crawl -----------------------------------------------------

SITE = SiteSpec(name="news", feeds=("https://news.example/rss.xml",),
                sitemaps=("https://news.example/sitemap.xml",),
                start_urls=("https://news.example/world/",))


def make_spider(cls=NewsSpider, site=SITE, **settings):
    crawler = get_crawler(cls, settings_dict=settings)
    return cls.from_crawler(crawler, site=site)


@pytest.mark.parametrize("site", [SITE, SITE.to_dict(),
                                  '{"name": "news", "feeds": ["https://news.example/rss.xml"]}'])
def test_site_can_be_given_as_spec_dict_or_json(site):
    assert make_spider(site=site).site.name == "news"


def test_bad_site_argument_is_refused():
    with pytest.raises(ValueError, match="site must be a SiteSpec"):
        make_spider(site={"feeds": []})


def test_bad_max_age_is_refused():
    with pytest.raises(ValueError, match=r"NEWSWATCH_MAX_AGE \(-1.0\) must be 0"):
        make_spider(NEWSWATCH_MAX_AGE=-1)


async def collect(spider):
    return [request async for request in spider.start()]


def test_start_requests_every_source():
    import asyncio

    spider = make_spider()
    requests = asyncio.run(collect(spider))

    assert [(r.url, r.meta["newswatch_source"]) for r in requests] == [
        ("https://news.example/rss.xml", "feed"),
        ("https://news.example/sitemap.xml", "sitemap"),
        ("https://news.example/world/", "section"),
    ]
    assert all(r.dont_filter and not r.meta.get("newswatch_article") for r in requests)


def section(body: str, url: str = "https://news.example/world/") -> HtmlResponse:
    return HtmlResponse(url, body=body.encode(), encoding="utf-8", request=Request(url))


SECTION = """<html><body>
<a href="/world/putin-to-visit-china-next-month">one</a>
<a href="https://www.news.example/world/floods-in-southern-brazil">www is the same site</a>
<a href="/world/putin-to-visit-china-next-month?utm_source=home">same story again</a>
<a href="https://other.example/world/someone-elses-story-here">other site</a>
<a href="/tag/russia/">tag</a> <a href="/world/page/2/">page</a> <a href="/world/">section</a>
<a href="mailto:desk@news.example">mail</a>
</body></html>"""


def test_section_page_follows_same_site_article_links_once():
    spider = make_spider()
    requests = list(spider.parse_section(section(SECTION)))

    assert [r.url for r in requests] == [
        "https://news.example/world/putin-to-visit-china-next-month",
        "https://www.news.example/world/floods-in-southern-brazil",
    ]
    assert all(r.meta["newswatch_article"] for r in requests)


class AllowSpider(NewsSpider):
    name = "allow-test"
    article_url_allow = (r"/world/[^/]+-brazil$",)
    article_url_deny = (r"putin",)


def test_article_url_patterns_override_the_heuristic():
    spider = make_spider(AllowSpider)
    requests = list(spider.parse_section(section(SECTION)))

    assert [r.url for r in requests] == ["https://www.news.example/world/floods-in-southern-brazil"]


def feed(items: list[tuple[str, datetime]]) -> XmlResponse:
    body = "".join(
        f"<item><title>t</title><link>{url}</link>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for url, when in items
    )
    url = "https://news.example/rss.xml"
    return XmlResponse(url, body=f"<rss><channel>{body}</channel></rss>".encode(),
                       request=Request(url))


def test_old_feed_entries_are_skipped():
    now = datetime.now(UTC)
    spider = make_spider(NEWSWATCH_MAX_AGE=3600)
    requests = list(spider.parse_listing(feed([
        ("https://news.example/a/fresh-story-here", now - timedelta(minutes=5)),
        ("https://news.example/a/stale-story-here", now - timedelta(hours=5)),
    ])))

    assert [r.url for r in requests] == ["https://news.example/a/fresh-story-here"]
    assert spider.crawler.stats.get_value("newswatch/skipped_old") == 1


def test_max_age_zero_keeps_everything():
    old = datetime(2001, 1, 1, tzinfo=UTC)
    spider = make_spider(NEWSWATCH_MAX_AGE=0)
    assert len(list(spider.parse_listing(feed([("https://news.example/a/old-story-x", old)])))) == 1


def test_plain_sitemap_entries_must_look_like_articles():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://news.example/world/a-real-story-here</loc></url>
      <url><loc>https://news.example/about/</loc></url></urlset>"""
    url = "https://news.example/sitemap.xml"
    spider = make_spider()
    requests = list(spider.parse_listing(XmlResponse(url, body=body, request=Request(url))))

    assert [r.url for r in requests] == ["https://news.example/world/a-real-story-here"]


def test_unusable_source_is_an_error_line():
    url = "https://news.example/rss.xml"
    spider = make_spider()
    response = TextResponse(url, body=b"<!doctype html><p>Moved</p>", request=Request(url))

    assert list(spider.parse_listing(response)) == []
    assert spider.crawler.stats.get_value("newswatch/sources/failed") == 1
    (line,) = spider.crawler.stats.get_value("newswatch/errors")
    assert line.startswith(f"{url}: not a feed or sitemap")


def test_entry_fills_what_the_page_lacks(page, base_url):
    path = "/ledger/news/88405/eurozone-inflation-eases-as-energy-prices-fall"
    html = page(path).replace('"datePublished"', '"dateNotPublished"')
    html = html.replace("<time datetime=", "<span data-datetime=")
    published = datetime(2024, 11, 30, 9, 0, tzinfo=UTC)
    request = Request(base_url + path, meta={
        "newswatch_article": True,
        "newswatch_entry": Entry(url=base_url + path, published=published),
    })
    response = HtmlResponse(base_url + path, body=html.encode(), encoding="utf-8",
                            request=request)

    (item,) = list(make_spider().parse_article(response))

    assert item["published"] == published.isoformat()
    assert item["title"] == "Eurozone inflation eases to 2.3% as energy prices fall"


def undated_article(page, base_url: str, entry_published: datetime | None,
                    cls=NewsSpider) -> dict:
    """The sample site's inflation article, stripped of its own dates, as ``cls`` yields it
    when a listing entry dated ``entry_published`` led to it."""
    path = "/ledger/news/88405/eurozone-inflation-eases-as-energy-prices-fall"
    html = page(path).replace('"datePublished"', '"dateNotPublished"')
    html = html.replace("<time datetime=", "<span data-datetime=")
    request = Request(base_url + path, meta={
        "newswatch_article": True,
        "newswatch_entry": Entry(url=base_url + path, published=entry_published),
    })
    response = HtmlResponse(base_url + path, body=html.encode(), encoding="utf-8",
                            request=request)
    (item,) = list(make_spider(cls).parse_article(response))
    return item


def test_an_entry_time_it_cannot_have_had_is_unknown(page, base_url):
    far = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    assert undated_article(page, base_url, far)["published"] is None
    tomorrow_and_more = datetime.now(UTC) + timedelta(days=1, hours=1)
    assert undated_article(page, base_url, tomorrow_and_more)["published"] is None
    soon = datetime.now(UTC) + timedelta(hours=6)
    assert undated_article(page, base_url, soon)["published"] == soon.isoformat()


def test_a_hook_cannot_date_an_article_implausibly(page, base_url):
    class DatedByHook(NewsSpider):
        name = "dated-by-hook"

        def complete_article(self, article, entry):
            return replace(super().complete_article(article, entry),
                           published=datetime(1970, 1, 1, tzinfo=UTC))

    listed = datetime.now(UTC) - timedelta(hours=2)
    assert undated_article(page, base_url, listed, DatedByHook)["published"] == listed.isoformat()
    assert undated_article(page, base_url, None, DatedByHook)["published"] is None


def test_non_article_pages_yield_nothing(page, base_url):
    url = base_url + "/ledger/world/"
    spider = make_spider()
    response = HtmlResponse(url, body=page("/ledger/world/").encode(), encoding="utf-8",
                            request=Request(url))

    assert list(spider.parse_article(response)) == []
    assert spider.crawler.stats.get_value("newswatch/pages/not_article") == 1
