"""Peak memory of a crawl, at 1,000 and at 10,000 articles.

Each crawl is the real crawl child (``python -m spiders.crawl``, as ``newswatch run`` starts
it) over one corpus site whose feed and sitemaps list every article; its peak resident set is
the child's ``ru_maxrss`` from ``os.wait4``, taken by a small launcher process that starts it
(Linux counts into a child's ``ru_maxrss`` the memory of the process it was forked from, and
the benchmark process holds the corpora and what earlier benchmarks left). Pages are the
corpus's bare article pages (about 5 KB, ``furniture=False``) so that ten thousand of them fit
the time budget: what grows with the number of articles is the crawl's bookkeeping (queued
requests, seen URLs, stats), not the page size, which bounds only the pages in flight. Both
crawls run at once, one per core.

Figure: ``BENCH memory rss_1k_mb=… rss_10k_mb=… ratio=…`` (target: ratio at most 1.5).
``NEWSWATCH_BENCH_MEMORY_ARTICLES`` ("1000,10000") changes the sizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import Corpus, serve_corpus
from bench.report import Figure
from bench.runs import LOOPBACK_CRAWL

# Forks and waits for the command after it; writes the child's peak RSS (KiB) and exit status.
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"maxrss_kb": usage.ru_maxrss, "status": os.waitstatus_to_exitcode(status)}, out)
"""

SIZES = tuple(int(n) for n in
              os.environ.get("NEWSWATCH_BENCH_MEMORY_ARTICLES", "1000,10000").split(","))
SEED = 10
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run() -> list[Figure]:
    small, large = SIZES
    with tempfile.TemporaryDirectory(prefix="newswatch-bench-memory-") as tmp:
        results = _crawl_all([small, large], Path(tmp))
    values: dict[str, object] = {}
    for label, n in (("1k", small), ("10k", large)):
        result = results[n]
        if result["articles"] < n * 0.99:
            raise RuntimeError(f"the crawl of {n} articles wrote only {result['articles']} "
                               f"(exit {result['status']})")
        values[f"rss_{label}_mb"] = result["rss_mb"]
    values["ratio"] = values["rss_10k_mb"] / values["rss_1k_mb"]
    values["target"] = "<=1.5"
    values["articles"] = f"{small},{large}"
    values["seconds_10k"] = results[large]["seconds"]
    return [Figure("memory", values)]


def _crawl_all(sizes: list[int], work: Path) -> dict[int, dict]:
    corpora = {n: Corpus(2 * n, seed=SEED, furniture=False, copy_share=0) for n in sizes}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(_PROJECT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}
    env.pop("NEWSWATCH_DATABASE_URL", None)
    results: dict[int, dict] = {}
    with serve_corpus(corpora[sizes[0]]) as small, serve_corpus(corpora[sizes[1]]) as large:
        started = time.perf_counter()
        children = {}
        for n, servers in zip(sizes, (small, large), strict=True):
            site = servers.site_configs()[0]  # the Gazette: n articles
            output = work / f"{n}.jsonl"
            command = [sys.executable, "-c", _LAUNCHER, str(work / f"{n}.rusage.json"),
                       "-m", "spiders.crawl", "--site-json", json.dumps(site),
                       "--output", str(output), "--stats", str(work / f"{n}.stats.json"),
                       "--settings-json", json.dumps({**LOOPBACK_CRAWL, "LOG_LEVEL": "WARNING"})]
            log = (work / f"{n}.log").open("wb")
            children[n] = (subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=env), output, log)
        for n, (child, output, log) in children.items():
            child.wait()
            log.close()
            usage = json.loads((work / f"{n}.rusage.json").read_text())
            with output.open(encoding="utf-8") as lines:
                articles = sum(1 for line in lines if line.strip())
            results[n] = {"rss_mb": usage["maxrss_kb"] / 1024, "status": usage["status"],
                          "articles": articles, "seconds": time.perf_counter() - started}
    return results
