"""What a crawl child hands back to the process that started it, beside its articles.

The child (:mod:`spiders.crawl`, or :mod:`spiders.shard` for many sites) and its parent
(:mod:`spiders.runner`) agree on these: exit statuses, the stats keys the parent reads, the
progress file written while the crawl runs, and what a shard is asked to crawl.
Nothing here imports Scrapy, so the parent (the Prefect flow) does not load it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.items import SiteSpec

__all__ = ["CRAWL_ERROR_KEY", "ERRORS_KEY", "EXIT_NO_SPACE", "EXIT_OUTPUT_ERROR",
           "REFUSED_COUNT_KEY", "REFUSED_URLS_KEY", "CrawlProgress", "ShardRequest", "ShardSite",
           "read_progress"]

#: Exit statuses of a crawl whose output could not be written: the disk is full, or not that.
EXIT_NO_SPACE = 3
EXIT_OUTPUT_ERROR = 4

#: Stats key of why a site's crawler could not run at all, in a shard of many sites.
CRAWL_ERROR_KEY = "newswatch/crawl/error"
#: Stats key of the crawl's failure lines, one "URL: reason" each.
ERRORS_KEY = "newswatch/errors"
#: Stats keys of the requests refused for their address (spiders.address_guard): how many, and
#: the first of them, one "URL (reason)" each.
REFUSED_COUNT_KEY = "newswatch/refused/private_address"
REFUSED_URLS_KEY = "newswatch/refused/urls"


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


@dataclass(frozen=True)
class ShardSite:
    """One site of a shard, and where its articles, stats and progress go."""

    site: SiteSpec
    output: Path
    stats: Path
    progress: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site.to_dict(), "output": str(self.output),
                "stats": str(self.stats),
                "progress": None if self.progress is None else str(self.progress)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardSite:
        progress = data.get("progress")
        return cls(site=SiteSpec.from_dict(data["site"]), output=Path(data["output"]),
                   stats=Path(data["stats"]), progress=None if progress is None else Path(progress))


@dataclass(frozen=True)
class ShardRequest:
    """What a shard crawls: its sites, the Scrapy setting overrides they share, and each
    site's time limit in seconds (0: none)."""

    sites: tuple[ShardSite, ...]
    settings: dict[str, Any]
    timeout: float = 0

    def to_json(self) -> str:
        return json.dumps({"sites": [s.to_dict() for s in self.sites],
                           "settings": self.settings, "timeout": self.timeout})

    @classmethod
    def from_json(cls, text: str) -> ShardRequest:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("settings", {}), dict):
            raise ValueError("a shard request is a JSON object with a 'settings' object")
        sites = tuple(ShardSite.from_dict(s) for s in data["sites"])
        names = [s.site.name for s in sites]
        if len(set(names)) != len(names):
            raise ValueError(f"a site is named twice in one shard: {names}")
        return cls(sites=sites, settings=data.get("settings", {}),
                   timeout=float(data.get("timeout", 0)))
