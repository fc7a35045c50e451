"""Real crawls of a loopback site whose feed, sitemap index and redirect point inside the network.

The site is on 127.0.0.1; what it points at listens on 127.0.0.2 and on 127.0.0.1 under the name
``localhost``, and counts every request that reaches it.
"""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from spiders import settings as defaults
from spiders.address_guard import GuardedResolver, PrivateAddressMiddleware
from spiders.handoff import REFUSED_COUNT_KEY, REFUSED_URLS_KEY
from spiders.runner import crawl_site
from store.items import CrawlResult, SiteSpec
from tests.spiders.conftest import FAST
from tests.spiders.insidesite import METADATA_URL, PointingSite, inside_urls, pointing_site

SETTINGS = {**FAST, "DOWNLOAD_TIMEOUT": 5}


def crawl(site: PointingSite, tmp_path, *, allow_private: bool = False,
          **settings: object) -> CrawlResult:
    spec = SiteSpec(name="pointing", feeds=(f"{site.base_url}/feed.xml",),
                    sitemaps=(f"{site.base_url}/sitemap-index.xml",), allow_private=allow_private)
    return crawl_site(spec, workdir=tmp_path, settings={**SETTINGS, **settings}, timeout=120)


def test_no_request_reaches_an_address_inside_the_network(tmp_path):
    with pointing_site() as site:
        result = crawl(site, tmp_path)

    assert site.inside.hits == 0, (site.inside.other_loopback.hits, site.inside.own_address.hits)
    refused = [line.split(" (")[0] for line in result.stats[REFUSED_URLS_KEY]]
    expected = {canonical(url) for url in inside_urls(site.inside)}
    expected |= {site.redirect_target, site.sitemap_child}
    assert set(refused) == expected
    assert result.stats[REFUSED_COUNT_KEY] == len(expected)
    # The site's own pages were all fetched, and refusing is no failure of the site.
    assert site.hits["/ok"] == site.hits["/redirect"] == 1
    assert [a.url for a in result.articles] == [f"{site.base_url}/ok"]
    assert not result.failed and not result.errors, result.errors


def canonical(url: str) -> str:
    """The URL as the crawl requests it (Scrapy writes IPv6 addresses in their short form)."""
    return url.replace("[::ffff:127.0.0.2]", "[::ffff:7f00:2]")


def test_each_refusal_says_what_the_host_is_or_resolves_to(tmp_path):
    with pointing_site() as site:
        result = crawl(site, tmp_path)

    reasons = dict(line.rstrip(")").split(" (", 1) for line in result.stats[REFUSED_URLS_KEY])
    other = site.inside.other_loopback.port
    assert reasons[METADATA_URL] == "169.254.169.254 is a link-local address"
    assert reasons[f"http://127.0.0.2:{other}/listed"] == "127.0.0.2 is a loopback address"
    assert reasons[site.redirect_target] == "127.0.0.2 is a loopback address"
    # Checked after resolution: the name resolves to the site's own address, and is refused
    # all the same, because the site is configured on 127.0.0.1, not on localhost.
    by_name = f"http://localhost:{site.inside.own_address.port}/by-name"
    assert reasons[by_name] == "localhost resolves to 127.0.0.1, which is a loopback address"


def test_without_the_middleware_the_resolver_still_opens_no_connection(tmp_path):
    middlewares = {**defaults.DOWNLOADER_MIDDLEWARES,
                   "spiders.address_guard.PrivateAddressMiddleware": None}
    with pointing_site() as site:
        result = crawl(site, tmp_path, DOWNLOADER_MIDDLEWARES=middlewares)

    assert site.inside.hits == 0, (site.inside.other_loopback.hits, site.inside.own_address.hits)
    assert site.hits["/ok"] == 1 and not result.failed
    log = (tmp_path / "pointing.log").read_text()
    assert ("Not connecting to localhost: localhost resolves to 127.0.0.1, which is a loopback "
            "address") in log
    assert "Not connecting to 169.254.169.254: 169.254.169.254 is a link-local address" in log


def test_allow_private_reaches_them(tmp_path):
    # No metadata address here: nothing answering there is ours to ask.
    with pointing_site(metadata=False) as site:
        result = crawl(site, tmp_path, allow_private=True)

    assert site.inside.other_loopback.hits["/listed"] == 1
    assert site.inside.other_loopback.hits["/redirected"] == 1
    assert site.inside.other_loopback.hits["/sitemap.xml"] == 1
    assert site.inside.own_address.hits["/by-name"] == 1
    assert REFUSED_COUNT_KEY not in result.stats


def test_the_policy_comes_from_the_settings():
    crawler = get_crawler(settings_dict={"NEWSWATCH_OWN_HOSTS": ["Intranet.Corp", "10.0.0.5"],
                                         "NEWSWATCH_ALLOW_PRIVATE": False})
    middleware = PrivateAddressMiddleware.from_crawler(crawler)
    assert middleware.policy.own_hosts == frozenset({"intranet.corp", "10.0.0.5"})
    assert not middleware.policy.allow_private
    resolver = GuardedResolver.from_crawler(crawler, reactor=None)
    assert resolver.policy == middleware.policy


@pytest.mark.parametrize("name", ["DOWNLOADER_MIDDLEWARES", "TWISTED_DNS_RESOLVER"])
def test_both_checks_are_on_by_default(name):
    if name == "TWISTED_DNS_RESOLVER":
        assert defaults.TWISTED_DNS_RESOLVER == "spiders.address_guard.GuardedResolver"
    else:
        # Before RobotsTxtMiddleware (100), which would otherwise ask the host for robots.txt.
        assert defaults.DOWNLOADER_MIDDLEWARES[
            "spiders.address_guard.PrivateAddressMiddleware"] < 100
