"""A fleet's run: shards of many sites a process, one task per shard, every site on its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select

from bench.fleet import FleetServer
from flows.config import ConfigError, SiteConfig, load_config
from flows.shards import plan_shards
from store.db import forget_databases, session_factory
from store.models import Article, CrawlRun
from tests.flows.test_run import TEST_CRAWL, closed_port

SITES = 14


def sites(count: int) -> list[SiteConfig]:
    return [SiteConfig(name=f"s{n}", feeds=(f"http://127.0.0.1/s{n}/rss.xml",))
            for n in range(count)]


def test_a_small_run_gives_each_site_its_process():
    assert plan_shards(sites(10), shard_from=10, shard_size=200, cpus=2) is None


def test_shards_split_a_fleet_evenly_at_most_shard_size_each():
    many = plan_shards(sites(1000), shard_from=10, shard_size=200, cpus=2)
    assert [len(s.sites) for s in many] == [200] * 5
    assert [site.name for shard in many for site in shard.sites] == [f"s{n}" for n in range(1000)]
    assert many[0].name == "shard-1-s0-s1-198-more"

    # As many shards as CPUs, when there are fewer sites than a shard holds.
    few = plan_shards(sites(11), shard_from=10, shard_size=200, cpus=2)
    assert [[site.name for site in shard.sites] for shard in few] == [
        [f"s{n}" for n in range(6)], [f"s{n}" for n in range(6, 11)]]


def test_a_fleet_run_crawls_in_shards_and_stores_every_site(tmp_path, sqlite_url, newswatch):
    """One run; the second poll of a fleet, every feed a 304, is tests/bench/test_fleet.py's."""
    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    from tests.flows.test_report import latest_run_of

    with FleetServer(now=datetime.now(UTC)) as fleet:
        dead = {"name": "deadsite", "feeds": [f"http://127.0.0.1:{closed_port()}/rss.xml"]}
        config = tmp_path / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": sqlite_url,
            "crawl": {**TEST_CRAWL, "shard_from": 10, "shard_size": 8},
            "sites": [*fleet.site_configs(SITES), dead],
        }))
        result = newswatch("run", "--config", str(config))

    # The dead site fails alone; every other site is stored, each with its crawl run.
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"1 of {SITES + 1} sites failed: deadsite: " in result.stderr, result.stderr[-3000:]
    forget_databases()
    with session_factory(sqlite_url)() as session:
        stored = session.scalar(select(func.count()).select_from(Article))
        runs = list(session.scalars(select(CrawlRun)))
    assert stored == SITES * 3
    assert sorted(r.site for r in runs) == sorted([f"s{n}" for n in range(SITES)] + ["deadsite"])
    assert {r.site for r in runs if r.failed} == {"deadsite"}
    assert fleet.count(200, "rss.xml") == SITES and fleet.count(200, ".html") == SITES * 3

    # A task per shard, not per site; the shard holding the dead site is the failed task.
    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-all-sites", str(config))
        task_runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run.id])))
    states = {t.name: t.state for t in task_runs}
    crawls = sorted(name for name in states if name.startswith("crawl-"))
    assert crawls and all(name.startswith("crawl-shard-") for name in crawls), crawls
    assert len(crawls) == len(plan_shards(
        [SiteConfig(name=f"x{n}", feeds=("http://x/",)) for n in range(SITES + 1)],
        shard_from=10, shard_size=8))
    failed = [name for name in crawls if states[name].is_failed()]
    assert len(failed) == 1 and "1 of " in states[failed[0]].message
    assert "deadsite: " in states[failed[0]].message
    assert len(states) < 2 * len(crawls) + 6, sorted(states)


def test_a_shard_setting_below_one_is_a_clear_config_error(tmp_path):
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump({"crawl": {"shard_size": 0}}))
    with pytest.raises(ConfigError, match=r"crawl\.shard_size"):
        load_config(path)
