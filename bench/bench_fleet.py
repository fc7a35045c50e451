"""What polling a fleet of unchanged sites costs: ``newswatch run`` over 100 and 1,000 sites.

Each size gets a fresh SQLite database and a config of N loopback sites
(:class:`bench.fleet.FleetServer`: one RSS feed of 3 articles each, ``ETag`` and ``304``),
no watches, the default shard settings. The real ``newswatch run`` runs twice against one
Prefect server started beforehand (its start-up is left out); the first run stores every
article, the second finds nothing new, each feed answering ``304``.

- ``cpu_per_site_ms``: the second run's CPU (user + system) over N: the command and every
  process under it (the shard children), by ``RUSAGE_CHILDREN`` around the command. The
  benchmark's own threads, serving the fleet, are not counted.
- ``shard_cpu_per_site_ms``: the part of it spent in the shard children, from ``/proc``
  sampled every 0.2 s (the last moments of each child are missed, so it is a floor).
- ``wall_s``: the second run's wall time, interpreter start to exit.
- ``stored``: articles in the database after the first run; ``expected`` = 3 × N.
- ``peak_rss_mb``: the largest peak resident set (``VmHWM``) of any shard child during either
  run, sampled from ``/proc``; ``shards`` how many children a run started.

Figures: ``BENCH fleet_poll sites=100 …`` and ``BENCH fleet_poll sites=1000 …``, the latter
with ``rss_ratio`` = its peak over the 100-site peak. Targets: ``cpu_per_site_ms`` ≤ 20,
``wall_s`` ≤ 60 at 1,000 sites, ``rss_ratio`` ≤ 1.5. ``NEWSWATCH_BENCH_FLEET_SITES``
("100,1000") changes the sizes.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.fleet import FleetServer
from bench.report import Figure
from bench.runs import RunResult, newswatch_run, prefect_server, write_config

SIZES = tuple(int(n) for n in
              os.environ.get("NEWSWATCH_BENCH_FLEET_SITES", "100,1000").split(","))
ARTICLES = 3
TARGETS = {"target_cpu_per_site_ms": "<=20", "target_wall_s": "<=60"}
RSS_TARGET = "<=1.5"
_SAMPLE_SECONDS = 0.2
_TICKS = os.sysconf("SC_CLK_TCK")


def run() -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="newswatch-bench-fleet-"))
    try:
        with prefect_server(work / "prefect") as api_url:
            results = [fleet_poll(n, work=work / f"sites-{n}", api_url=api_url) for n in SIZES]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = []
    smallest = results[0]["peak_rss_mb"]
    for index, measured in enumerate(results):
        values = {**measured, **TARGETS}
        if index > 0 and smallest:
            values["rss_ratio"] = values["peak_rss_mb"] / smallest
            values["target_rss_ratio"] = RSS_TARGET
        figures.append(Figure("fleet_poll", values))
    return figures


def fleet_poll(sites: int, *, work: Path, api_url: str,
               now: datetime | None = None) -> dict[str, object]:
    """Two ``newswatch run`` over ``sites`` fleet sites; the second run's figures."""
    work.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{work / 'newswatch.db'}"
    with FleetServer(now=now or datetime.now(UTC), articles=ARTICLES) as fleet:
        config = write_config(work / "newswatch.yaml", database=database,
                              sites=fleet.site_configs(sites), channels={}, watches=[])
        with ShardWatch() as first_watch:
            _checked(newswatch_run(config, api_url=api_url, home=work / "home"))
        stored = _stored(database)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with ShardWatch() as second_watch:
            second = _checked(newswatch_run(config, api_url=api_url, home=work / "home"))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        not_modified = fleet.count(304, "rss.xml")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "sites": sites,
        "cpu_per_site_ms": cpu * 1000 / sites,
        "shard_cpu_per_site_ms": second_watch.cpu_seconds() * 1000 / sites,
        "wall_s": second.seconds,
        "stored": stored,
        "expected": sites * ARTICLES,
        "feeds_304": not_modified,
        "shards": len(second_watch.seen),
        "peak_rss_mb": max(first_watch.peak_mb(), second_watch.peak_mb()),
    }


def _checked(result: RunResult) -> RunResult:
    if result.returncode != 0:
        raise RuntimeError(f"newswatch run failed ({result.returncode}): "
                           f"{' '.join(result.stderr.split()[-60:])}")
    return result


def _stored(database: str) -> int:
    from sqlalchemy import func, select

    from store.db import forget_databases, session_factory
    from store.models import Article

    forget_databases()
    with session_factory(database)() as session:
        return session.scalar(select(func.count()).select_from(Article)) or 0


@dataclass
class _Sample:
    peak_kb: int = 0
    cpu_ticks: int = 0


@dataclass
class ShardWatch:
    """Samples, from ``/proc``, every shard child (``spiders.shard``) under this process."""

    seen: dict[int, _Sample] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shard-watch", daemon=True)

    def __enter__(self) -> ShardWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self) -> float:
        return max((s.peak_kb for s in self.seen.values()), default=0) / 1024

    def cpu_seconds(self) -> float:
        return sum(s.cpu_ticks for s in self.seen.values()) / _TICKS

    def _loop(self) -> None:
        while not self._stop.wait(_SAMPLE_SECONDS):
            for pid in _shard_descendants(os.getpid()):
                sample = _read(pid)
                if sample is not None:
                    known = self.seen.setdefault(pid, _Sample())
                    known.peak_kb = max(known.peak_kb, sample.peak_kb)
                    known.cpu_ticks = max(known.cpu_ticks, sample.cpu_ticks)


def _shard_descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found = []
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor and ancestor != root:
            ancestor = parents.get(ancestor)
        if ancestor == root and _is_shard(pid):
            found.append(pid)
    return found


def _is_shard(pid: int) -> bool:
    try:
        return b"spiders.shard" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _read(pid: int) -> _Sample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    peak = next((int(line.split()[1]) for line in status.splitlines()
                 if line.startswith("VmHWM:")), 0)
    return _Sample(peak_kb=peak, cpu_ticks=int(fields[11]) + int(fields[12]))
