"""A fleet's run: sites crawled in shards, many per process, one task per shard.

A new crawl process costs about two seconds of CPU before its first request, so a run of more
than ``crawl.shard_from`` sites splits them into shards of at most ``crawl.shard_size``, as
many as the machine has CPUs when that is more, and crawls each shard in one process
(:func:`spiders.runner.crawl_sites`). Each shard is one ``crawl`` task and one ``store`` task,
so a run over a thousand sites makes a handful of task runs, not thousands; every site is
still judged, stored, recorded (a crawl-run row each) and reported on its own.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from flows.config import Config, SiteConfig, parse_duration
from flows.tasks import (
    DATABASE_RETRIES,
    ProgressReport,
    SiteOutcome,
    crawl_lines_to_task_log,
    log_crawled,
    log_stored,
    save_crawl,
)
from spiders.runner import crawl_sites
from store.db import session_factory
from store.items import CrawlResult

__all__ = ["Shard", "crawl_shard", "plan_shards", "store_shard"]

# Sites named in a shard's task name; the rest are counted.
_NAMED = 2


@dataclass(frozen=True)
class Shard:
    """Sites crawled by one process. ``name`` shows in the run's task names."""

    name: str
    sites: tuple[SiteConfig, ...]


def plan_shards(sites: list[SiteConfig], *, shard_from: int, shard_size: int,
                cpus: int | None = None) -> list[Shard] | None:
    """The shards of a run of ``sites``, in config order; None when the run is small enough
    for a process per site."""
    if len(sites) <= shard_from:
        return None
    cpus = cpus or os.cpu_count() or 1
    count = max(-(-len(sites) // shard_size), min(cpus, len(sites)))
    size = -(-len(sites) // count)
    shards = []
    for number, start in enumerate(range(0, len(sites), size), 1):
        members = tuple(sites[start:start + size])
        names = [s.name for s in members[:_NAMED]]
        if len(members) > _NAMED:
            names.append(f"{len(members) - _NAMED}-more")
        shards.append(Shard(name=f"shard-{number}-{'-'.join(names)}", sites=members))
    return shards


@task(name="crawl", task_run_name="crawl-{shard.name}", cache_policy=NO_CACHE)
def crawl_shard(shard: Shard, config: Config) -> list[CrawlResult] | State:
    """Crawl a shard's sites in one child process. When some of them fail, the task ends
    Failed naming them, its results still the task's result, so the run stores and reports
    every site. While it runs, a progress artifact shows its sites' pages added up."""
    crawl_lines_to_task_log()
    with tempfile.TemporaryDirectory(prefix="newswatch-shard-") as workdir:
        results = crawl_sites(
            [site.spec() for site in shard.sites],
            workdir=Path(workdir),
            database_url=config.database,
            settings=config.crawl.settings,
            timeout=parse_duration(config.crawl.timeout).total_seconds(),
            on_progress=ProgressReport(shard.name),
        )
    for result in results:
        log_crawled(result)
    failed = [r for r in results if r.failed]
    if failed:
        first = failed[0]
        reason = first.errors[0] if first.errors else "crawl failed"
        more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
        return Failed(message=f"{len(failed)} of {len(results)} sites failed: "
                              f"{first.site}: {reason}{more}", data=results)
    return results


@task(name="store", task_run_name="store-{shard.name}", cache_policy=NO_CACHE,
      **DATABASE_RETRIES)
def store_shard(shard: Shard, results: list[CrawlResult], config: Config) -> list[SiteOutcome]:
    """Save a shard's articles and record each site's crawl run, in one transaction: a retry
    after a database error records nothing twice."""
    now = datetime.now(UTC)
    with session_factory(config.database).begin() as session:
        outcomes = [save_crawl(session, result, config, now) for result in results]
    for outcome in outcomes:
        log_stored(outcome)
    return outcomes
