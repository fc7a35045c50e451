"""Security review of the defaults: each one a test, so a change that weakens it fails here.

- Scrapy's telnet console and remote-control API are off: no port opens in a crawl child;
- robots.txt is obeyed, and its middleware is really enabled;
- downloads are bounded in size, time and redirects, gzip bodies included;
- XML (feeds, sitemaps) is parsed without entity expansion, external entities or network, and
  an entity bomb is refused;
- the ``apprise`` logger stays at INFO or above, even under Prefect's logging setup and a root
  logger at DEBUG, because Apprise's DEBUG lines carry webhook URLs and tokens;
- the database URL (which may hold a password) reaches the crawl child through its
  environment, never its command line, so it stays out of process listings and logs.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spiders import settings as defaults
from spiders.crawl import build_settings
from spiders.extract import extract_article
from spiders.listings import Entry, ListingError, parse_listing
from spiders.sample_server import sample_site_server
from store.items import SiteSpec
from tests.spiders.badsite import bad_site
from tests.spiders.conftest import FAST

PROJECT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (its own reactor and logging); it prints JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def crawler_components() -> dict:
    """The extensions and downloader middlewares a crawl child really builds."""
    return run_python("""
import json
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.crawler import Crawler
from spiders.crawl import build_settings
from spiders.news import NewsSpider
crawler = Crawler(NewsSpider, build_settings())
crawler._apply_settings()
downloader = DownloaderMiddlewareManager.from_crawler(crawler)
print(json.dumps({
    "extensions": [type(e).__name__ for e in crawler.extensions.middlewares],
    "downloader": [type(m).__name__ for m in downloader.middlewares],
}))
""")


def test_telnet_console_and_remote_control_are_off(crawler_components: dict) -> None:
    built = build_settings()
    assert built.getbool("TELNETCONSOLE_ENABLED") is False
    assert built.getbool("REMOTE_CONTROL_ENABLED") is False
    assert "TelnetConsole" not in crawler_components["extensions"]
    assert "RemoteControl" not in crawler_components["extensions"]


def test_robots_txt_is_obeyed(crawler_components: dict) -> None:
    assert build_settings().getbool("ROBOTSTXT_OBEY") is True
    assert "RobotsTxtMiddleware" in crawler_components["downloader"]


def test_downloads_are_bounded_in_size_time_and_redirects(crawler_components: dict) -> None:
    built = build_settings()
    assert 0 < built.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024
    assert 0 < built.getint("DOWNLOAD_WARNSIZE") <= built.getint("DOWNLOAD_MAXSIZE")
    assert 0 < built.getfloat("DOWNLOAD_TIMEOUT") <= 60
    assert 0 < built.getfloat("DNS_TIMEOUT") <= 60
    assert 0 < built.getint("REDIRECT_MAX_TIMES") <= 10
    # Scrapy applies DOWNLOAD_MAXSIZE to decompressed bodies in HttpCompressionMiddleware.
    assert "HttpCompressionMiddleware" in crawler_components["downloader"]


def test_a_crawl_cuts_off_gzip_bombs_and_bodies_streamed_past_the_limit(tmp_path) -> None:
    """A real crawl child, with the default DOWNLOAD_MAXSIZE, meets a page and a gzipped
    sitemap that inflate to 256 MiB, two pages that never end (no Content-Length) and a
    billion-laughs feed."""
    limit = defaults.DOWNLOAD_MAXSIZE
    with bad_site() as server:
        base = server.base_url
        site = SiteSpec(name="bounds",
                        feeds=(f"{base}/bounds-feed.xml", f"{base}/laughs-feed.xml"),
                        sitemaps=(f"{base}/sitemap-bomb.xml.gz",))
        crawl = run_python(f"""
import json, resource, time
from store.items import SiteSpec
from spiders.runner import crawl_site
started = time.monotonic()
result = crawl_site(SiteSpec.from_dict({site.to_dict()!r}), workdir={str(tmp_path)!r},
                    settings={FAST!r}, timeout=90)
print(json.dumps({{
    "took": time.monotonic() - started, "failed": result.failed, "errors": result.errors,
    "articles": [article.url for article in result.articles],
    "failed_pages": result.stats.get("newswatch/pages/failed"),
    "failed_sources": result.stats.get("newswatch/sources/failed"),
    "crawl_max_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}}))
""")
        streamed = dict(server.streamed)

    assert not crawl["failed"] and crawl["took"] < 60
    assert crawl["articles"] == [f"{base}/ok"]  # the site's good page is still read
    assert sorted(crawl["errors"]) == [
        f"{base}/endless-chunked: Too large: cut off at DOWNLOAD_MAXSIZE while streaming",
        f"{base}/endless-close: Too large: cut off at DOWNLOAD_MAXSIZE while streaming",
        f"{base}/gzip-bomb: Too large once decompressed: over DOWNLOAD_MAXSIZE",
        f"{base}/laughs-feed.xml: refused: its entities expand past the XML parser's limit "
        "(Maximum entity amplification factor exceeded)",
        f"{base}/sitemap-bomb.xml.gz: gzipped listing larger than {limit} bytes once "
        "decompressed",
    ]
    assert (crawl["failed_pages"], crawl["failed_sources"]) == (3, 2)
    # Each endless body was dropped near the limit (what sockets buffer aside), not at its end.
    assert sorted(streamed) == ["/endless-chunked", "/endless-close"]
    assert all(limit < sent < 3 * limit for sent in streamed.values()), streamed
    # A crawl child of a small site takes about 130 MiB; 256 MiB inflated would show.
    assert crawl["crawl_max_rss"] < 250 * 1024 * 1024, crawl["crawl_max_rss"]


def test_a_gzipped_listing_is_bounded_once_decompressed() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (2 * 1024 * 1024) + b"</urlset>")
    with pytest.raises(ListingError, match="larger than"):
        parse_listing(bomb, "http://127.0.0.1:9/s.xml.gz", max_size=1024 * 1024)


def test_an_entity_bomb_is_refused_quickly() -> None:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]>'
            "<rss><channel><item><title>&l9;</title>"
            "<link>http://a.example/1</link></item></channel></rss>").encode()

    started = time.perf_counter()
    with pytest.raises(ListingError, match=r"entities expand past the XML parser's limit"):
        parse_listing(body, "http://127.0.0.1:9/rss.xml")
    assert time.perf_counter() - started < 2


def test_xml_external_entities_are_neither_read_nor_fetched(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FROM-DISK")
    with sample_site_server() as server:
        body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY file SYSTEM "file://{secret}">'
                f'<!ENTITY net SYSTEM "{server.base_url}/courier/rss.xml">]>'
                "<rss><channel><item><title>Budget &file;&net; approved</title>"
                "<link>http://a.example/1</link></item></channel></rss>").encode()

        listing = parse_listing(body, f"{server.base_url}/rss.xml")

        assert not server.hits  # the network entity was never fetched
    # The entry is read; its entity references stay as they were written.
    assert listing.entries == (Entry(url="http://a.example/1",
                                     title="Budget &file;&net; approved"),)


def test_html_pages_never_read_external_entities(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FROM-DISK")
    paragraphs = "".join(f"<p>&x; The council approved budget number {n} after a long debate "
                         "about the bridge.</p>" for n in range(20))
    page = (f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file://{secret}">]>'
            f"<html><body><article><h1>A headline for a test</h1>{paragraphs}"
            "</article></body></html>")

    article = extract_article(page, "http://127.0.0.1:9/news/a-test-page", "test")

    assert article is not None and article.title == "A headline for a test"
    assert article.text.startswith("&x; The council approved budget number 0")
    assert "SECRET-FROM-DISK" not in article.text


def test_apprise_logger_stays_at_info_under_prefect_and_a_debug_root() -> None:
    levels = run_python("""
import json, logging
logging.basicConfig(level=logging.DEBUG)
logging.getLogger("apprise").setLevel(logging.DEBUG)  # what a user's config might do
import alerts.deliver
from prefect.logging.configuration import setup_logging
setup_logging()
logging.getLogger().setLevel(logging.DEBUG)
print(json.dumps({"apprise": logging.getLogger("apprise").getEffectiveLevel(),
                  "plugin": logging.getLogger("apprise.plugins.slack").getEffectiveLevel()}))
""")
    assert levels["apprise"] >= 20, levels
    assert levels["plugin"] >= 20, levels


def test_database_url_goes_to_the_crawl_child_by_environment(monkeypatch, tmp_path) -> None:
    import spiders.runner as runner

    seen = {}

    class FakeChild:
        def __init__(self, command, **kwargs):
            seen["command"] = command
            seen["env"] = kwargs.get("env") or {}

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(runner.subprocess, "Popen", FakeChild)
    url = "postgresql+psycopg://news:s3cr3t-pw@127.0.0.1:5432/newswatch"
    runner.crawl_site(SiteSpec(name="x", feeds=("http://127.0.0.1:9/rss.xml",)),
                      workdir=tmp_path, database_url=url)
    assert "s3cr3t-pw" not in " ".join(seen["command"])
    assert seen["env"].get("NEWSWATCH_DATABASE_URL") == url


def test_defaults_module_says_so() -> None:
    assert defaults.TELNETCONSOLE_ENABLED is False
    assert defaults.REMOTE_CONTROL_ENABLED is False
    assert defaults.ROBOTSTXT_OBEY is True
    assert defaults.COOKIES_ENABLED is False  # no session a page could ride on
