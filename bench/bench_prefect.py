"""What Prefect costs a run: ``newswatch run`` over an unchanged site, beside the bare crawl.

``prefect_overhead``  ``newswatch run`` over one site of the bundled sample site that has
                      nothing new (its articles are stored, its feed answers 304), against a
                      running Prefect server, beside the bare crawl of the same site (the same
                      Scrapy child process, no Prefect, no store/match/deliver). Medians of
                      ``NEWSWATCH_BENCH_PREFECT_ROUNDS`` (default 3) rounds, taken in turns.

The rest of the time is broken down: ``import_s`` (starting Python and importing Newswatch,
Prefect and the command), ``flow_s`` (the flow run as the Prefect server timed it, from start to
end, which holds the crawl, the database steps, the report and the API calls), and ``cli_s``
(everything else: creating the flow run, shutting down, the interpreter's exit).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure
from bench.runs import HookReceiver, newswatch_run, prefect_server, write_config

ROUNDS = int(os.environ.get("NEWSWATCH_BENCH_PREFECT_ROUNDS", "3"))
SITE = "courier"


def run() -> list[Figure]:
    from spiders.sample_server import serve_sample_site

    work = Path(tempfile.mkdtemp(prefix="newswatch-bench-prefect-"))
    try:
        with serve_sample_site() as base_url, HookReceiver() as hook, \
                prefect_server(work / "prefect") as api_url:
            site = {"name": SITE, "feeds": [f"{base_url}/{SITE}/rss.xml"]}
            database = f"sqlite:///{work / 'newswatch.db'}"
            config = write_config(work / "newswatch.yaml", database=database, sites=[site],
                                  channels={"hook": hook.url()},
                                  watches=[{"name": "w", "query": "Putin visit",
                                            "notify": ["hook"]}])
            _check(newswatch_run(config, api_url=api_url, home=work / "home"))  # store it all
            rounds = []
            for _ in range(ROUNDS):
                result = _check(newswatch_run(config, api_url=api_url, home=work / "home"))
                if not result.stdout.startswith("newswatch: 0 new articles"):
                    raise RuntimeError(f"the site was not unchanged: {result.stdout.strip()}")
                rounds.append({
                    "prefect_s": result.seconds,
                    "flow_s": _last_flow_seconds(api_url),
                    "import_s": _import_seconds(),
                    "bare_s": _bare_crawl(site, database, work),
                })
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    return [Figure("prefect_overhead", {
        "prefect_s": median["prefect_s"],
        "bare_s": median["bare_s"],
        "ratio": median["prefect_s"] / median["bare_s"],
        "import_s": median["import_s"],
        "flow_s": median["flow_s"],
        "cli_s": max(median["prefect_s"] - median["import_s"] - median["flow_s"], 0.0),
        "rounds": ROUNDS,
        "target": "<3",
    })]


def _check(result):
    if result.returncode != 0:
        raise RuntimeError(f"newswatch run failed ({result.returncode}): "
                           f"{' '.join(result.stderr.split()[-60:])}")
    return result


def _bare_crawl(site: dict, database: str, work: Path) -> float:
    """The same crawl without Prefect: ``spiders.runner.crawl_site`` and its Scrapy child."""
    from bench.runs import LOOPBACK_CRAWL
    from spiders.runner import crawl_site
    from store.items import SiteSpec

    started = time.perf_counter()
    result = crawl_site(SiteSpec.from_dict(site), workdir=work / "bare", database_url=database,
                        settings=LOOPBACK_CRAWL)
    seconds = time.perf_counter() - started
    if result.failed:
        raise RuntimeError(f"the bare crawl failed: {result.errors[:1]}")
    return seconds


def _last_flow_seconds(api_url: str) -> float:
    """Start to end of the latest flow run, as the Prefect server recorded it."""
    code = (
        "from prefect import get_client\n"
        "from prefect.client.schemas.sorting import FlowRunSort\n"
        "with get_client(sync_client=True) as c:\n"
        "    r = c.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)[0]\n"
        "    print((r.end_time - r.start_time).total_seconds())\n"
    )
    env = {**os.environ, "PREFECT_API_URL": api_url}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _import_seconds() -> float:
    """Starting Python and importing what ``newswatch run`` imports before its flow starts."""
    code = "import flows.cli, flows.run; flows.cli.build_parser()"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started
