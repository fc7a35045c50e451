"""How far a running crawl has got, written to a small JSON file every few seconds.

Enabled by ``NEWSWATCH_PROGRESS`` (a file path); ``NEWSWATCH_PROGRESS_INTERVAL`` is the period
in seconds. The crawl's parent (:func:`spiders.runner.crawl_site`) reads the file while it
waits (:func:`spiders.handoff.read_progress`), so a long crawl shows its progress in the
Prefect UI instead of one silent task.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from spiders.handoff import CrawlProgress

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["ProgressFile"]

logger = logging.getLogger(__name__)


class ProgressFile:
    """Extension writing :class:`CrawlProgress` to a file periodically and once at the end."""

    def __init__(self, path: Path, stats: StatsCollector, interval: float,
                 in_flight: Callable[[], int] = lambda: 0) -> None:
        self.path = path
        self.stats = stats
        self.in_flight = in_flight
        self.interval = interval
        self._task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("NEWSWATCH_PROGRESS")
        interval = crawler.settings.getfloat("NEWSWATCH_PROGRESS_INTERVAL")
        if not path or interval <= 0:
            raise NotConfigured
        extension = cls(Path(path), crawler.stats, interval, lambda: _downloading(crawler))
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
        progress = CrawlProgress.from_stats(self.stats.get_stats(), finished=finished,
                                            in_flight=0 if finished else self.in_flight())
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(asdict(progress)), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as exc:  # progress is a courtesy: a full disk is reported elsewhere
            logger.debug("Cannot write crawl progress to %(path)s: %(error)s",
                         {"path": self.path, "error": exc})


def _downloading(crawler: Crawler) -> int:
    """Requests in the downloader now (robots.txt included), none once the engine is gone."""
    engine = crawler.engine
    return len(engine.downloader.active) if engine is not None else 0
