"""The fleet benchmark end to end, on a small fleet: two real runs, every figure measured."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.bench_fleet import ARTICLES, fleet_poll
from bench.report import Figure
from bench.runs import prefect_server

SITES = 12  # past crawl.shard_from (10), so the run crawls in shards


def test_the_fleet_benchmark_polls_a_small_fleet_twice_and_measures_its_shards(tmp_path):
    # Feed dates count back from the test's clock: the crawl's default max_age (3 days) keeps
    # them whatever the day.
    clock = datetime.now(UTC)
    with prefect_server(tmp_path / "prefect") as api_url:
        values = fleet_poll(SITES, work=tmp_path / "fleet", api_url=api_url, now=clock)

    assert values["stored"] == values["expected"] == SITES * ARTICLES
    assert values["feeds_304"] == SITES  # the second run found every feed unchanged
    assert values["shards"] >= 1  # each shard child was seen in /proc
    assert 0 < values["shard_cpu_per_site_ms"] < values["cpu_per_site_ms"]
    assert values["wall_s"] > 0
    assert 20 < values["peak_rss_mb"] < 1024  # a Python process with Scrapy, under its limit

    line = Figure("fleet_poll", values).line()
    assert line.startswith(f"BENCH fleet_poll sites={SITES} cpu_per_site_ms=")
    assert Figure("fleet_poll", values).key == f"fleet_poll.{SITES}"
