"""Sites that stall, drip bytes or answer garbage: bounded by timeouts, the others finish.

One ``newswatch run`` over two good corpus sites and three bad ones, with a short
``DOWNLOAD_TIMEOUT`` set through the config's ``crawl: settings:``. Each bad site fails with a
reason; each crawl takes about the timeout (robots.txt, the feed, one retry each), not forever;
the good sites' articles are all stored.
"""

from __future__ import annotations

import yaml
from sqlalchemy import func, select

from bench.corpus import Corpus, serve_corpus
from store.db import forget_databases, session_factory
from store.models import Article, CrawlRun
from tests.faults.servers import DripServer, GarbageServer, StallServer

TIMEOUT_S = 2
ARTICLES = 10
#: robots.txt and the feed, each tried twice (RETRY_TIMES = 1), each bounded by the timeout,
#: with room for a loaded machine.
CRAWL_BOUND_S = 4 * TIMEOUT_S + 20


def test_stalling_dripping_and_garbage_sites_fail_alone_within_the_timeout(
    tmp_path, sqlite_url, newswatch
):
    corpus = Corpus(ARTICLES, seed=7, page_bytes=8_000)
    with serve_corpus(corpus) as good, StallServer() as stall, DripServer() as drip, \
            GarbageServer() as garbage:
        bad = {"stalls": stall, "drips": drip, "garbage": garbage}
        sites = good.site_configs() + [
            {"name": name, "feeds": [f"{server.base_url}/rss.xml"]} for name, server in bad.items()
        ]
        config = tmp_path / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": sqlite_url,
            "crawl": {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                                   "DOWNLOAD_TIMEOUT": TIMEOUT_S}, "timeout": "3m"},
            "sites": sites,
        }))
        result = newswatch("run", "--config", str(config), timeout=240)
        assert all(server.accepted for server in bad.values()), "a bad site was never asked"

    assert result.returncode == 1, result.stderr[-3000:]
    failures = result.stderr.split("newswatch: the run failed:\n")[1].splitlines()
    failed_sites = {line.split(":")[0].strip().removeprefix("site ") for line in failures
                    if line.startswith("  site ")}
    assert failed_sites == set(bad), failures
    assert failures[0].strip() == "3 of 5 sites failed: stalls, drips, garbage", failures
    for line in failures:
        if line.startswith(("  site stalls", "  site drips")):
            assert "Timed out" in line, line

    forget_databases()
    with session_factory(sqlite_url)() as session:
        runs = {run.site: run for run in session.scalars(select(CrawlRun))}
        stored = session.scalar(select(func.count()).select_from(Article))
    assert stored == ARTICLES
    for name in bad:
        assert runs[name].failed and runs[name].errors, name
        took = (runs[name].finished - runs[name].started).total_seconds()
        assert took < CRAWL_BOUND_S, f"{name}: its crawl took {took:.0f} s"
    for site in corpus.sites:
        assert not runs[site.name].failed, runs[site.name].errors
