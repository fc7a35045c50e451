from __future__ import annotations

import json
import socket

import pytest

from spiders.handoff import CrawlProgress
from spiders.runner import crawl_site, failure_reasons
from store.items import SiteSpec
from tests.spiders.badsite import bad_site


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_fails_the_site_with_one_clear_line(tmp_path, fast_settings):
    url = f"http://127.0.0.1:{closed_port()}/feed.xml"

    result = crawl_site(SiteSpec(name="dead", feeds=(url,)), workdir=tmp_path,
                        settings=fast_settings, timeout=120)

    assert result.failed
    assert result.errors == (f"{url}: Connection refused",)
    assert result.articles == ()
    assert result.stats["finish_reason"] == "finished"  # what Scrapy says; we judge otherwise


def test_http_500_fails_the_site(tmp_path, fast_settings, base_url):
    site = SiteSpec(name="broken", feeds=(f"{base_url}/broken/rss.xml",),
                    start_urls=(f"{base_url}/broken/news/",))

    result = crawl_site(site, workdir=tmp_path, settings=fast_settings, timeout=120)

    assert result.failed
    assert sorted(result.errors) == [f"{base_url}/broken/news/: HTTP 500",
                                     f"{base_url}/broken/rss.xml: HTTP 500"]


def test_one_bad_source_does_not_fail_the_site(tmp_path, fast_settings, base_url):
    site = SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",
                                           f"{base_url}/courier/missing.xml"))

    result = crawl_site(site, workdir=tmp_path, settings=fast_settings, timeout=120)

    assert not result.failed
    assert result.errors == (f"{base_url}/courier/missing.xml: HTTP 404",)
    assert len(result.articles) == 5
    assert (tmp_path / "courier.jsonl").exists() and (tmp_path / "courier.log").exists()
    assert json.loads((tmp_path / "courier.stats.json").read_text())["start_time"]


def test_progress_is_reported_while_the_crawl_runs_and_at_its_end(
    tmp_path, fast_settings, base_url
):
    # A feed that answers after SLOW_SECONDS keeps the crawl going for several progress periods.
    settings = {**fast_settings, "NEWSWATCH_PROGRESS_INTERVAL": 0.2}
    seen: list[CrawlProgress] = []
    with bad_site() as slow:
        site = SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",
                                               f"{slow.base_url}/slow"))
        result = crawl_site(site, workdir=tmp_path, settings=settings, timeout=120,
                            on_progress=seen.append)

    assert len(seen) >= 2
    assert seen[-1].finished and seen[-1].percent == 100
    assert seen[-1].articles == len(result.articles) == 5
    assert seen[-1].pages == result.stats["response_received_count"]
    assert all(p.pages <= p.requests for p in seen), seen
    assert seen[-1].requests == seen[-1].pages
    assert all(not p.finished and p.percent < 100 for p in seen[:-1])


def test_a_crawl_that_cannot_start_names_the_reason(tmp_path, fast_settings, base_url):
    settings = {**fast_settings, "NEWSWATCH_MAX_AGE": -5}
    site = SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",))

    result = crawl_site(site, workdir=tmp_path, settings=settings, timeout=120)

    assert result.failed
    assert result.errors[0].startswith("crawler exited with status 1: ")
    assert "NEWSWATCH_MAX_AGE (-5.0) must be 0 (keep all) or more" in result.errors[0]


def test_timeout_kills_and_fails_the_crawl(tmp_path, base_url):
    site = SiteSpec(name="slow", feeds=(f"{base_url}/courier/rss.xml",))

    result = crawl_site(site, workdir=tmp_path, timeout=0.2)

    assert result.failed
    assert result.errors == ("crawl timed out after 0.2 s",)


def test_the_crawl_child_keeps_its_memory_limit(tmp_path, fast_settings, base_url):
    site = SiteSpec(name="greedy", feeds=(f"{base_url}/courier/rss.xml",))
    roomy = crawl_site(site, workdir=tmp_path / "roomy", settings=fast_settings, timeout=120)
    assert roomy.stats["memusage/max"] > 1_048_576  # Scrapy's MemoryUsage runs in the child
    assert not roomy.failed

    tight = crawl_site(site, workdir=tmp_path / "tight", timeout=120,
                       settings={**fast_settings, "MEMUSAGE_LIMIT_MB": 1})

    assert tight.failed
    assert tight.stats["finish_reason"] == "memusage_exceeded"
    assert tight.errors[0].startswith(
        "the crawl was stopped at its memory limit, MEMUSAGE_LIMIT_MB (peak "), tight.errors


@pytest.mark.parametrize(("stats", "reasons"), [
    ({}, ["the crawl left no stats"]),
    ({"finish_reason": "finished"}, ["no page could be fetched (finish reason: finished)"]),
    ({"newswatch/pages/ok": 3, "newswatch/sources/requested": 2},
     ["no feed, sitemap or section page could be read"]),
    ({"newswatch/pages/ok": 3, "newswatch/sources/requested": 2, "newswatch/sources/ok": 1}, []),
    ({"newswatch/pages/ok": 1}, []),  # a site spider that does not use sources
])
def test_failure_reasons(stats, reasons):
    assert failure_reasons(stats) == reasons
