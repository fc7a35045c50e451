"""Extraction alone: trafilatura over corpus pages, one process per core, nothing else.

Each worker process rebuilds the corpus from its parameters, renders its share of the pages
into memory, then waits at a barrier; the clock runs from the first worker leaving the barrier
to the last one finishing, so rendering and process start-up are not counted.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["ExtractionRate", "extraction_rate"]


@dataclass(frozen=True, kw_only=True)
class ExtractionRate:
    pages: int
    seconds: float
    extracted: int  # pages trafilatura returned text for
    workers: int

    @property
    def pps(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def extraction_rate(corpus_args: dict[str, Any], *, limit: int | None = None,
                    workers: int | None = None) -> ExtractionRate:
    """Extract the first ``limit`` article pages of ``Corpus(**corpus_args)`` (all: None)."""
    workers = workers or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(corpus_args, limit, index, workers,
                                                       barrier, results), daemon=True)
                 for index in range(workers)]
    for process in processes:
        process.start()
    answers = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    failures = [a for a in answers if "error" in a]
    if failures:
        raise RuntimeError(f"extraction worker failed: {failures[0]['error']}")
    return ExtractionRate(
        pages=sum(a["pages"] for a in answers),
        seconds=max(a["end"] for a in answers) - min(a["start"] for a in answers),
        extracted=sum(a["extracted"] for a in answers),
        workers=workers,
    )


def _worker(corpus_args: dict[str, Any], limit: int | None, index: int, workers: int,
            barrier: Any, results: Any) -> None:
    try:
        import trafilatura

        from bench.corpus import Corpus

        corpus = Corpus(**corpus_args)
        articles = corpus.articles[:limit] if limit else corpus.articles
        mine = [(f"http://127.0.0.1{a.path}", corpus.article_html(a))
                for a in articles[index::workers]]
        trafilatura.extract(mine[0][1], url=mine[0][0])  # warm its caches, as a crawl would
        barrier.wait(timeout=600)
        start = time.perf_counter()
        extracted = sum(
            1 for url, page in mine
            if trafilatura.extract(page, url=url, with_metadata=True, include_comments=False))
        results.put({"pages": len(mine), "extracted": extracted, "start": start,
                     "end": time.perf_counter()})
    except Exception as exc:  # reported to the parent, which raises it
        barrier.abort()  # the other workers stop waiting for this one
        results.put({"error": f"{type(exc).__name__}: {exc}"})
