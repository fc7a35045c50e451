"""``deploy/sites.example.yaml``: a config that loads, and feeds shaped like each outlet's.

Tests never touch the internet: ``sample_data/feeds/NAME.xml`` imitates the structure of each
outlet's real feed (namespaces, CDATA, RDF, tracking parameters, guid forms).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import Request, XmlResponse
from scrapy.utils.test import get_crawler

from flows.config import load_config
from spiders.listings import parse_listing
from spiders.news import NewsSpider

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "sites.example.yaml"
FEEDS = Path(__file__).with_name("sample_data") / "feeds"
CONFIG = load_config(EXAMPLE)
SITES = {site.name: site for site in CONFIG.sites}

# Where each outlet's articles live, by host.
ARTICLE_HOSTS = {
    "bbc-world": "www.bbc.com", "aljazeera": "www.aljazeera.com", "trtworld": "www.trtworld.com",
    "guardian-world": "www.theguardian.com", "dw": "www.dw.com", "france24": "www.france24.com",
    "npr-world": "www.npr.org", "nyt-world": "www.nytimes.com", "sky-news-world": "news.sky.com",
    "cbc-world": "www.cbc.ca",
}


def test_the_example_loads_with_eight_or_more_major_outlets():
    assert len(SITES) >= 8
    assert {"bbc-world", "aljazeera", "trtworld", "guardian-world", "dw", "france24",
            "npr-world"} <= set(SITES)
    assert CONFIG.crawl.contact and CONFIG.crawl.settings["NEWSWATCH_CONTACT"]


@pytest.mark.parametrize("name", sorted(SITES))
def test_each_site_reads_public_https_feeds_on_a_schedule(name):
    site = SITES[name]

    assert site.feeds or site.sitemaps
    assert all(urlsplit(url).scheme == "https" for url in (*site.feeds, *site.sitemaps))
    assert site.every or site.cron
    assert site.spec().name == name


@pytest.mark.parametrize("name", sorted(SITES))
def test_a_feed_shaped_like_the_outlets_leads_to_its_articles(name):
    url = SITES[name].feeds[0]
    body = (FEEDS / f"{name}.xml").read_bytes()

    listing = parse_listing(body, url)
    # The saved feeds are old: keep their entries whatever the site's max_age.
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider),
                                     site=replace(SITES[name].spec(), max_age=0))
    requests = list(spider.parse_listing(XmlResponse(url, body=body, request=Request(url))))

    assert listing.kind == "feed" and len(listing.entries) == 2
    assert all(entry.title and entry.published for entry in listing.entries)
    assert len(requests) == 2
    assert {urlsplit(r.url).hostname for r in requests} == {ARTICLE_HOSTS[name]}
    assert not any("utm_" in r.url for r in requests)
