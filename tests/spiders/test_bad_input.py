"""Bad input: each problem is counted, logged with its URL and reported; the crawl goes on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spiders.runner import crawl_site
from store.items import CrawlResult, SiteSpec
from tests.spiders.badsite import BadSite, bad_site
from tests.spiders.conftest import FAST

SETTINGS = {**FAST, "DOWNLOAD_TIMEOUT": 2}


@pytest.fixture(scope="module")
def server() -> Iterator[BadSite]:
    with bad_site() as server:
        yield server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("bad-site-crawl")


@pytest.fixture(scope="module")
def crawl(server: BadSite, workdir) -> CrawlResult:
    """One crawl of a site whose feed lists a page per kind of trouble."""
    base = server.base_url
    site = SiteSpec(name="bad", feeds=(f"{base}/feed.xml", f"{base}/empty-feed",
                                       f"{base}/error-page-feed", f"{base}/bom-feed"))
    return crawl_site(site, workdir=workdir, settings=SETTINGS, timeout=120)


@pytest.fixture(scope="module")
def log(crawl: CrawlResult, workdir) -> str:
    return (workdir / "bad.log").read_text()


PROBLEMS = [
    ("/slow", "Timed out"),
    ("/status/404", "HTTP 404"),
    ("/status/503", "HTTP 503"),
    ("/loop", "redirect loop (more than 5 redirects)"),
    ("/report.pdf", "not an HTML page (application/pdf)"),
    ("/huge", "Too large (50 MiB): over DOWNLOAD_MAXSIZE"),
    ("/cut", "Connection lost mid-response"),
    ("/cp1252-as-utf8", "charset says utf-8, but the page is not UTF-8; read as windows-1252"),
    ("/utf8-as-latin1", "charset says cp1252, but the page is UTF-8; read as UTF-8"),
    ("/no-charset", "no charset declared; guessed cp1252"),
    ("/truncated", "truncated HTML (no </body> or </html> at the end); extracted what came"),
    ("/empty-feed", "not a feed or sitemap: the response is empty"),
    ("/error-page-feed",
     "not a feed or sitemap: an HTML page (title: 'Service temporarily unavailable')"),
]


@pytest.mark.parametrize(("path", "reason"), PROBLEMS, ids=[p for p, _ in PROBLEMS])
def test_each_problem_is_one_error_line_and_one_log_line(crawl, log, server, path, reason):
    url = server.base_url + path

    assert f"{url}: {reason}" in crawl.errors
    assert sum(1 for line in crawl.errors if line.startswith(f"{url}: ")) == 1
    assert url in log


def test_the_crawl_goes_on_and_is_not_failed(crawl):
    assert not crawl.failed
    assert len(crawl.errors) == len(PROBLEMS)
    assert crawl.stats["newswatch/errors/count"] == len(PROBLEMS)
    assert crawl.stats["newswatch/sources/ok"] == 2  # /feed.xml and /bom-feed
    assert crawl.stats["newswatch/sources/failed"] == 2
    assert crawl.stats["newswatch/pages/not_html"] == 1


def test_pages_with_charset_trouble_or_cut_short_are_still_read_right(crawl):
    articles = {a.canonical_url.rsplit("/", 1)[1]: a for a in crawl.articles}

    assert sorted(articles) == ["cp1252-as-utf8", "no-charset", "ok", "truncated",
                                "utf8-as-latin1"]
    for article in articles.values():
        assert article.text.startswith("Le café du marché de la place Saint-Michel")
        assert "Hélène Dubœuf" in article.text
        assert "\ufffd" not in article.text and "Ã" not in article.text
        assert article.language == "fr"


def test_the_feed_behind_a_bom_served_as_html_is_read(crawl, server):
    assert server.hits["/bom-feed"] == 1
    assert server.hits["/ok"] == 1  # listed by both feeds, fetched once


def test_the_huge_page_is_not_downloaded(crawl):
    assert crawl.stats["downloader/response_bytes"] < 1024 * 1024


def test_a_site_where_everything_fails_is_a_failed_site(server, tmp_path):
    base = server.base_url
    site = SiteSpec(name="hopeless", feeds=(f"{base}/status/503", f"{base}/slow", f"{base}/loop",
                                            f"{base}/empty-feed", f"{base}/error-page-feed"),
                    start_urls=(f"{base}/report.pdf",))

    result = crawl_site(site, workdir=tmp_path, settings=SETTINGS, timeout=120)

    assert result.failed
    assert result.articles == ()
    assert sorted(result.errors) == sorted([
        f"{base}/status/503: HTTP 503",
        f"{base}/slow: Timed out",
        f"{base}/loop: redirect loop (more than 5 redirects)",
        f"{base}/empty-feed: not a feed or sitemap: the response is empty",
        f"{base}/error-page-feed: not a feed or sitemap: an HTML page "
        "(title: 'Service temporarily unavailable')",
        f"{base}/report.pdf: not an HTML page",
    ])
