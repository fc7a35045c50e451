"""A crawl has a budget: listings that never end, a page cap, and a time limit the child keeps.

One ``newswatch run`` over three loopback sites:

- ``mirror``: a sitemap index listing itself and 300 variants of its own address; each distinct
  address is read once (301 reads), its news sitemap once, its 5 articles stored;
- ``chain``: sitemap indexes each listing the next, endlessly; read 4 deep (the configured one
  and ``NEWSWATCH_MAX_SITEMAP_DEPTH`` = 3 levels below it), and the report says so;
- ``capped``: a feed of 20 articles with ``max_pages: 5``: the feed and 4 articles, no more.

Another run has a feed that sends one byte every 0.2 s forever, under a 5 s time limit and a
download timeout far past it: the crawl child stops itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from sqlalchemy import select

from flows.report import report_key
from store.db import forget_databases, session_factory
from store.models import Article, CrawlRun
from tests.faults.servers import DripServer, ListingMaze
from tests.flows.test_report import latest_run_of, tokens_of

TIME_LIMIT_S = 5
STOP_GRACE_S = 5


def run_newswatch(tmp_path: Path, prefect_api_url: str, crawl: dict, sites: list) -> dict:
    """``newswatch run`` over ``sites``: its result, duration, crawl runs and stored URLs."""
    database = f"sqlite:///{tmp_path / 'newswatch.db'}"
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({"database": database, "crawl": crawl, "sites": sites}))
    command = Path(sys.executable).with_name("newswatch")
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(tmp_path)}
    started = time.monotonic()
    result = subprocess.run([str(command), "run", "--config", str(config)], env=env,
                            capture_output=True, text=True, timeout=300)
    took = time.monotonic() - started
    forget_databases()
    with session_factory(database)() as session:
        runs = {run.site: run for run in session.scalars(select(CrawlRun))}
        articles: dict[str, set[str]] = {}
        for article in session.scalars(select(Article)):
            articles.setdefault(article.site, set()).add(article.url)
    return {"result": result, "took": took, "runs": runs, "articles": articles,
            "config": str(config)}


@pytest.fixture(scope="module")
def budget_run(prefect_api_url, tmp_path_factory):
    """The run over the three sites, with the servers that served them."""
    now = datetime.now(UTC)
    with ListingMaze(now=now) as mirror, ListingMaze(now=now) as chain, \
            ListingMaze(now=now) as capped:
        run = run_newswatch(
            tmp_path_factory.mktemp("budget"), prefect_api_url,
            {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}, "timeout": "3m"},
            [{"name": "mirror", "sitemaps": [f"{mirror.base_url}/sitemap.xml"]},
             {"name": "chain", "sitemaps": [f"{chain.base_url}/deep/1.xml"]},
             {"name": "capped", "feeds": [f"{capped.base_url}/feed.xml"], "max_pages": 5}])
    assert run["result"].returncode == 0, run["result"].stderr[-3000:]
    return {**run, "mirror": mirror, "chain": chain, "capped": capped}


def test_a_sitemap_index_listing_itself_300_ways_is_read_once_per_address(budget_run):
    mirror, runs = budget_run["mirror"], budget_run["runs"]
    index_reads = {path: n for path, n in mirror.hits.items() if path.startswith("/sitemap.xml")}
    assert sum(index_reads.values()) == 1 + ListingMaze.VARIANTS
    assert set(index_reads.values()) == {1}, "an address was read twice"
    assert mirror.hits["/news.xml"] == 1
    assert budget_run["articles"]["mirror"] == {f"{mirror.base_url}/a/{n}.html"
                                                for n in range(1, 6)}
    assert not runs["mirror"].failed, runs["mirror"].errors


def test_nested_sitemap_indexes_are_followed_three_levels_deep(budget_run):
    chain, runs = budget_run["chain"], budget_run["runs"]
    deep = {path for path in chain.hits if path.startswith("/deep/")}
    assert deep == {"/deep/1.xml", "/deep/2.xml", "/deep/3.xml", "/deep/4.xml"}
    assert chain.hits["/news.xml"] == 1
    assert len(budget_run["articles"]["chain"]) == 5
    assert not runs["chain"].failed
    assert "1 sitemaps nested deeper than NEWSWATCH_MAX_SITEMAP_DEPTH not read" in \
        runs["chain"].errors


def test_a_site_with_max_pages_5_stops_at_5_and_the_report_says_so(budget_run):
    capped, runs = budget_run["capped"], budget_run["runs"]
    pages = {path: n for path, n in capped.hits.items() if path != "/robots.txt"}
    assert sum(pages.values()) == 5, pages
    assert pages["/feed.xml"] == 1
    assert len(budget_run["articles"]["capped"]) == 4
    note = "stopped at max_pages=5: 16 more listing pages and articles not requested"
    assert not runs["capped"].failed
    assert note in runs["capped"].errors

    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-all-sites", budget_run["config"])
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    report = next(a.data for a in artifacts if a.key == report_key("all-sites"))
    row = next(line for line in report.splitlines() if line.startswith("| capped |"))
    assert note in " ".join(t.content for t in tokens_of(row) if t.type == "text")


def test_a_crawl_past_its_time_limit_is_stopped_by_the_crawl_child_itself(
        prefect_api_url, tmp_path):
    crawl = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                          "DOWNLOAD_TIMEOUT": 600, "NEWSWATCH_STOP_GRACE": STOP_GRACE_S},
             "timeout": f"{TIME_LIMIT_S}s"}
    with DripServer() as trickle:
        run = run_newswatch(tmp_path, prefect_api_url, crawl,
                            [{"name": "trickle", "feeds": [f"{trickle.base_url}/rss.xml"]}])
    runs = run["runs"]
    assert runs["trickle"].failed
    # The child's own graceful stop, or its own SIGALRM a grace period later; never the
    # parent's last-resort kill, which would come 30 s after that.
    assert runs["trickle"].errors[0] in (
        f"crawl timed out after {TIME_LIMIT_S} s",
        f"crawl timed out after {TIME_LIMIT_S} s and was stopped {STOP_GRACE_S} s later, stuck",
    ), runs["trickle"].errors
    assert run["took"] < 120, "the run waited on the trickling feed"
    result = run["result"]
    assert result.returncode == 1, result.stderr[-3000:]
    assert "1 of 1 sites failed: trickle: crawl timed out" in result.stderr, result.stderr[-3000:]
