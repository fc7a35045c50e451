"""Shared fixtures: the sample news site on loopback, fast crawl settings, crawls of it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from spiders.runner import crawl_site
from spiders.sample_server import SampleSiteServer, sample_site_server
from store.items import CrawlResult, SiteSpec

#: Settings for crawls in tests: no politeness delays against our own loopback server.
FAST = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "RETRY_ENABLED": False,
    "DOWNLOAD_TIMEOUT": 10,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}


@pytest.fixture(scope="session")
def sample_site() -> Iterator[SampleSiteServer]:
    with sample_site_server() as server:
        yield server


@pytest.fixture(scope="session")
def base_url(sample_site: SampleSiteServer) -> str:
    return sample_site.base_url


@pytest.fixture
def fast_settings() -> dict[str, object]:
    return dict(FAST)


@pytest.fixture(scope="session")
def courier_crawl(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """The Daily Courier, discovered through its RSS feed."""
    site = SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",))
    return crawl_site(site, workdir=tmp_path_factory.mktemp("courier"), settings=FAST,
                      timeout=120)


@pytest.fixture(scope="session")
def _ledger(sample_site: SampleSiteServer,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, Counter[str]]:
    base_url = sample_site.base_url
    site = SiteSpec(name="ledger", sitemaps=(f"{base_url}/ledger/sitemap.xml",),
                    start_urls=(f"{base_url}/ledger/world/",))
    before = Counter(sample_site.hits)
    result = crawl_site(site, workdir=tmp_path_factory.mktemp("ledger"), settings=FAST,
                        timeout=120)
    return result, sample_site.hits - before


@pytest.fixture(scope="session")
def ledger_crawl(_ledger: tuple[CrawlResult, Counter[str]]) -> CrawlResult:
    """The World Ledger, through its sitemap index and its World section page."""
    return _ledger[0]


@pytest.fixture(scope="session")
def ledger_hits(_ledger: tuple[CrawlResult, Counter[str]]) -> Counter[str]:
    """The requests of ``ledger_crawl`` alone, by path: other tests crawl the same server,
    before or after it, in whatever order they run."""
    return _ledger[1]


@pytest.fixture(scope="session")
def page(sample_site: SampleSiteServer) -> Callable[[str], str]:
    """The sample site's page at a URL path, placeholders filled, without a request."""

    def render(path: str) -> str:
        file = sample_site.resolve(path)
        assert file is not None, path
        return sample_site.render(file.read_text(encoding="utf-8"))

    return render
