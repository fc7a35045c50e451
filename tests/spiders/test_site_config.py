"""What a site's config says reaches the spider: max_age, article_urls, the contact URL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from flows.config import ConfigError, parse_config
from spiders import settings as defaults
from spiders.crawl import build_settings, user_agent
from spiders.news import NewsSpider
from store.items import SiteSpec


def config(site: dict | None = None, crawl: dict | None = None):
    raw = {"sites": [{"name": "news", "feeds": ["https://news.example/rss.xml"], **(site or {})}]}
    if crawl is not None:
        raw["crawl"] = crawl
    return parse_config(raw, source="newswatch.yaml")


def test_site_max_age_and_article_urls_reach_the_spec():
    spec = config({"max_age": "12h", "article_urls": r"/story/\d+"}).sites[0].spec()

    assert spec.max_age == 12 * 3600
    assert spec.article_urls == (r"/story/\d+",)
    assert SiteSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(("value", "seconds"), [(None, None), (0, 0.0), ("0", 0.0),
                                                 ("7d", 7 * 86400.0)])
def test_max_age_default_zero_and_duration(value, seconds):
    site = {} if value is None else {"max_age": value}
    assert config(site).sites[0].spec().max_age == seconds


def test_max_pages_reaches_the_spec_and_the_crawl_child():
    assert config({}).sites[0].spec().max_pages is None  # NEWSWATCH_MAX_PAGES applies
    spec = config({"max_pages": 5}).sites[0].spec()
    assert spec.max_pages == 5
    assert SiteSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(("site", "message"), [
    ({"max_age": "soon"}, "sites[0].max_age: 'soon' is not a duration"),
    ({"max_pages": 0}, "sites[0].max_pages: "),
    ({"max_pages": "many"}, "sites[0].max_pages: "),
    ({"article_urls": ["/news/(\\d+"]}, "sites[0].article_urls: '/news/(\\\\d+' is not a "
                                        "regular expression"),
])
def test_bad_site_values_are_one_line_errors(site, message):
    with pytest.raises(ConfigError) as caught:
        config(site)
    assert str(caught.value).startswith(f"newswatch.yaml: {message}")


def test_contact_goes_into_the_user_agent():
    crawl = config(crawl={"contact": "https://ops.example/newswatch"}).crawl

    settings = build_settings(crawl.settings)

    assert settings.get("USER_AGENT") == (
        "Newswatch/0.1 (+https://ops.example/newswatch; self-hosted news monitor)")
    assert user_agent(None) == "Newswatch/0.1 (+https://github.com/newswatch/newswatch)"


def test_an_explicit_user_agent_wins_over_the_contact():
    crawl = config(crawl={"contact": "mailto:ops@example.com",
                          "settings": {"USER_AGENT": "Mine/1.0"}}).crawl

    assert build_settings(crawl.settings).get("USER_AGENT") == "Mine/1.0"


def test_contact_must_be_a_url():
    with pytest.raises(ConfigError, match="crawl.contact: 'ops team' is not an http"):
        config(crawl={"contact": "ops team"})


# -- the spider honours them -----------------------------------------------------------------

def spider(site: SiteSpec, cls=NewsSpider, **settings) -> NewsSpider:
    """A spider on Newswatch's settings (not Scrapy's bare defaults) plus ``settings``."""
    ours = build_settings(settings)
    crawler = get_crawler(cls, settings_dict={name: ours[name] for name in defaults.__all__})
    return cls.from_crawler(crawler, site=site)


def feed_response(ages: list[timedelta]) -> XmlResponse:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><link>https://news.example/a/story-number-{i}</link>"
        f"<pubDate>{(now - age).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for i, age in enumerate(ages))
    url = "https://news.example/rss.xml"
    return XmlResponse(url, body=f"<rss><channel>{items}</channel></rss>".encode(),
                       request=Request(url))


def test_default_max_age_is_three_days():
    news = spider(SiteSpec(name="news"))
    requests = list(news.parse_listing(feed_response([timedelta(days=2), timedelta(days=4)])))

    assert news.max_age == timedelta(days=3)
    assert [r.url for r in requests] == ["https://news.example/a/story-number-0"]


def test_site_max_age_beats_the_setting():
    news = spider(SiteSpec(name="news", max_age=3600), NEWSWATCH_MAX_AGE=30 * 86400)
    requests = list(news.parse_listing(feed_response([timedelta(minutes=5),
                                                      timedelta(hours=2)])))

    assert [r.url for r in requests] == ["https://news.example/a/story-number-0"]


SECTION = b"""<html><body>
<a href="/world/putin-to-visit-china-next-month">slug</a>
<a href="/s/xk2q">short id the heuristic refuses</a>
</body></html>"""


def test_article_urls_replace_the_heuristic():
    url = "https://news.example/world/"
    response = HtmlResponse(url, body=SECTION, encoding="utf-8", request=Request(url))

    default = spider(SiteSpec(name="news"))
    custom = spider(SiteSpec(name="news", article_urls=(r"/s/\w+$",)))

    assert [r.url for r in default.parse_section(response)] == [
        "https://news.example/world/putin-to-visit-china-next-month"]
    assert [r.url for r in custom.parse_section(response)] == ["https://news.example/s/xk2q"]


class TownSpider(NewsSpider):
    name = "town"
    feeds = ("https://town.example/rss.xml",)


def test_a_python_spider_brings_its_own_sources():
    async def starts(news):
        return [r.url async for r in news.start()]

    assert asyncio.run(starts(spider(SiteSpec(name="town"), TownSpider))) == [
        "https://town.example/rss.xml"]
    configured = SiteSpec(name="town", feeds=("https://town.example/other.xml",))
    assert asyncio.run(starts(spider(configured, TownSpider))) == [
        "https://town.example/other.xml"]
