"""Many sites crawled by one process: each judged alone, as if it had had a process of its own."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from spiders.handoff import CRAWL_ERROR_KEY, ShardRequest, ShardSite
from spiders.runner import crawl_site, crawl_sites
from spiders.shard import main
from store.items import SiteSpec
from tests.faults.servers import DripServer
from tests.spiders.test_runner import closed_port


def test_a_shard_gives_each_site_what_its_own_crawl_gives(tmp_path, fast_settings, base_url):
    courier = SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",))
    ledger = SiteSpec(name="ledger", sitemaps=(f"{base_url}/ledger/sitemap-news.xml",))
    alone = {site.name: crawl_site(site, workdir=tmp_path / site.name, settings=fast_settings,
                                   timeout=120) for site in (courier, ledger)}

    seen = []
    results = crawl_sites([courier, ledger], workdir=tmp_path / "shard", settings=fast_settings,
                          timeout=120, on_progress=seen.append)

    assert [r.site for r in results] == ["courier", "ledger"]
    for result in results:
        own = alone[result.site]
        assert not result.failed and result.errors == own.errors
        assert sorted(a.url for a in result.articles) == sorted(a.url for a in own.articles)
        assert result.articles, "the sample sites have articles: the test proves nothing"
        assert result.stats["newswatch/pages/ok"] == own.stats["newswatch/pages/ok"]
        # No site counts another's log lines as its own.
        assert not any(key.startswith("log_count/") for key in result.stats), result.stats
    assert len(list((tmp_path / "shard").glob("shard-*.log"))) == 1
    # The shard's progress is its sites' added up, and ends with every page answered.
    assert seen and seen[-1].finished, seen
    assert seen[-1].pages == seen[-1].requests == sum(
        r.stats["response_received_count"] + r.stats.get("downloader/exception_count", 0)
        for r in results)
    assert seen[-1].articles == sum(len(r.articles) for r in results)


def test_a_dead_site_and_a_stuck_site_fail_alone(tmp_path, fast_settings, base_url):
    url = f"http://127.0.0.1:{closed_port()}/feed.xml"
    with DripServer(interval=0.5) as drip:
        sites = [SiteSpec(name="dead", feeds=(url,)),
                 SiteSpec(name="stuck", feeds=(f"{drip.base_url}/rss.xml",)),
                 SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",))]
        dead, stuck, courier = crawl_sites(
            sites, workdir=tmp_path, timeout=8,
            settings={**fast_settings, "DOWNLOAD_TIMEOUT": 600, "NEWSWATCH_STOP_GRACE": 5})

    assert dead.failed and dead.errors == (f"{url}: Connection refused",)
    # Stopped gracefully, or, stuck in its download, by the shard's own alarm.
    assert stuck.failed and stuck.errors[0].startswith("crawl timed out after 8 s"), stuck
    assert not courier.failed and len(courier.articles) == 5


def test_a_site_whose_spider_cannot_start_fails_alone(tmp_path, fast_settings, base_url):
    # Two names for one site: a shard refuses it as a whole, with a line that says why.
    twice = ShardRequest(sites=tuple(ShardSite(site=SiteSpec(name="x", feeds=(base_url,)),
                                               output=tmp_path / f"{n}.jsonl",
                                               stats=tmp_path / f"{n}.stats.json")
                                     for n in (1, 2)), settings={})
    assert main(io.StringIO(twice.to_json())) == 2

    # The config refuses a bad pattern; a spider given one anyway cannot start.
    bad = SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",), article_urls=("(",))
    good = SiteSpec(name="ledger", sitemaps=(f"{base_url}/ledger/sitemap-news.xml",))
    failing, fine = crawl_sites([bad, good], workdir=tmp_path, settings=fast_settings,
                                timeout=120)
    assert failing.failed and failing.errors[0].startswith("crawler could not run: "), failing
    assert not fine.failed and fine.articles
    assert json.loads((tmp_path / "ledger.stats.json").read_text())["newswatch/pages/ok"]


def test_a_site_whose_article_file_cannot_be_opened_fails_alone(tmp_path, fast_settings,
                                                                base_url):
    from spiders.runner import _child_env

    blocked = tmp_path / "a-file"
    blocked.write_text("")  # a file where the courier's folder should be: its writes fail
    entries = (
        ShardSite(site=SiteSpec(name="courier", feeds=(f"{base_url}/courier/rss.xml",)),
                  output=blocked / "courier.jsonl", stats=tmp_path / "courier.stats.json"),
        ShardSite(site=SiteSpec(name="ledger", sitemaps=(f"{base_url}/ledger/sitemap-news.xml",)),
                  output=tmp_path / "ledger.jsonl", stats=tmp_path / "ledger.stats.json"),
    )
    request = ShardRequest(sites=entries, settings=fast_settings, timeout=120)
    done = subprocess.run([sys.executable, "-m", "spiders.shard"], input=request.to_json(),
                          capture_output=True, text=True, env=_child_env(None), timeout=180)

    assert done.returncode == 0, done.stderr[-2000:]  # every site's stats were written
    courier = json.loads(entries[0].stats.read_text())
    ledger = json.loads(entries[1].stats.read_text())
    assert "a-file" in courier[CRAWL_ERROR_KEY], courier
    assert CRAWL_ERROR_KEY not in ledger and ledger["newswatch/items/written"] > 0
