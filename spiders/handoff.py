"""What a crawl child hands back to the process that started it, beside its articles.

The child (:mod:`spiders.crawl`) and its parent (:mod:`spiders.runner`) agree on these: exit
statuses, the stats keys the parent reads, and the progress file written while the crawl runs.
Nothing here imports Scrapy, so the parent (the Prefect flow) does not load it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ERRORS_KEY", "EXIT_NO_SPACE", "EXIT_OUTPUT_ERROR", "CrawlProgress", "read_progress"]

#: Exit statuses of a crawl whose output could not be written: the disk is full, or not that.
EXIT_NO_SPACE = 3
EXIT_OUTPUT_ERROR = 4

#: Stats key of the crawl's failure lines, one "URL: reason" each.
ERRORS_KEY = "newswatch/errors"


@dataclass(frozen=True, kw_only=True)
class CrawlProgress:
    """Requests the crawl has made or queued so far, pages answered (a response or a failed
    download), articles written, and whether the crawl has ended.

    ``requests`` is ``pages`` plus what is still queued or being downloaded, so ``pages``
    never exceeds it: robots.txt, redirects and retries count on both sides, each download once.
    """

    requests: int = 0
    pages: int = 0
    articles: int = 0
    finished: bool = False

    @property
    def percent(self) -> float:
        """Pages answered out of requests queued: it can step back as listings reveal more
        articles; 100 once the crawl has ended."""
        if self.finished:
            return 100.0
        if not self.requests:
            return 0.0
        return min(99.0, 100.0 * self.pages / self.requests)

    @classmethod
    def from_stats(cls, stats: dict[str, Any], *, in_flight: int = 0,
                   finished: bool = False) -> CrawlProgress:
        """Progress from Scrapy's stats and the number of requests the downloader holds now."""
        pages = (int(stats.get("response_received_count", 0))
                 + int(stats.get("downloader/exception_count", 0)))
        queued = int(stats.get("scheduler/enqueued", 0)) - int(stats.get("scheduler/dequeued", 0))
        return cls(
            finished=finished,
            requests=pages + max(0, queued) + max(0, in_flight),
            pages=pages,
            articles=int(stats.get("newswatch/items/written", 0)),
        )


def read_progress(path: Path) -> CrawlProgress | None:
    """The latest progress written at ``path``, or None if there is none (yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        counts = {key: int(data[key]) for key in ("requests", "pages", "articles")}
        return CrawlProgress(**counts, finished=bool(data.get("finished")))
    except (OSError, ValueError, TypeError, KeyError):
        return None
