"""``python -m bench [NAME ...]``: run the benchmarks, print ``BENCH`` lines, write results.json.

Each ``bench/bench_<name>.py`` has ``run() -> list[Figure]``; every figure's ratios are
measured within that one run, side by side, so a noisy machine shifts both sides alike.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench
from bench.report import Figure

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results: dict[str, dict] = {}
    failed = []
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if not info.name.startswith("bench_"):
            continue
        short = info.name.removeprefix("bench_")
        if wanted and short not in wanted:
            continue
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{info.name}")
            figures: list[Figure] = module.run()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"BENCH {short} error={type(exc).__name__}: {exc}", flush=True)
            failed.append(short)
            continue
        for figure in figures:
            print(figure.line(), flush=True)
            results[figure.key] = figure.values
        print(f"# {short}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
