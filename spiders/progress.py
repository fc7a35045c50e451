"""How far a running crawl has got, written to a small JSON file every few seconds.

Enabled by ``NEWSWATCH_PROGRESS`` (a file path); ``NEWSWATCH_PROGRESS_INTERVAL`` is the period
in seconds. The crawl's parent (:func:`spiders.runner.crawl_site`) reads the file while it
waits, so a long crawl shows its progress in the Prefect UI instead of one silent task.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["CrawlProgress", "ProgressFile", "read_progress"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class CrawlProgress:
    """Requests the crawl has queued so far, pages answered, articles written, and whether
    the crawl has ended."""

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
    def from_stats(cls, stats: dict[str, Any], *, finished: bool = False) -> CrawlProgress:
        return cls(
            finished=finished,
            requests=int(stats.get("scheduler/enqueued", 0)),
            pages=int(stats.get("response_received_count", 0))
            + int(stats.get("downloader/exception_count", 0)),
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


class ProgressFile:
    """Extension writing :class:`CrawlProgress` to a file periodically and once at the end."""

    def __init__(self, path: Path, stats: StatsCollector, interval: float) -> None:
        self.path = path
        self.stats = stats
        self.interval = interval
        self._task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("NEWSWATCH_PROGRESS")
        interval = crawler.settings.getfloat("NEWSWATCH_PROGRESS_INTERVAL")
        if not path or interval <= 0:
            raise NotConfigured
        extension = cls(Path(path), crawler.stats, interval)
        # The signal manager keeps weak references: the crawler keeps this extension alive.
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self._task = create_looping_call(self.write)
        self._task.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        self.write(finished=True)

    def write(self, *, finished: bool = False) -> None:
        progress = CrawlProgress.from_stats(self.stats.get_stats(), finished=finished)
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(asdict(progress)), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:  # progress is a courtesy: a full disk is reported elsewhere
            logger.debug("Cannot write crawl progress to %(path)s: %(error)s",
                         {"path": self.path, "error": exc})
