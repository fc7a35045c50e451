"""Writing the crawl's articles to a JSON-lines file, once per canonical URL.

Enabled by ``NEWSWATCH_OUTPUT`` (a file path). Each line is ``Article.to_dict()`` with the
body's fingerprint, made here so that the store does not make it after the crawl; an item that
is not a valid Article is dropped with the reason. Stats keys: ``newswatch/items/written``,
``newswatch/items/duplicate``, ``newswatch/items/invalid``, and ``newswatch/output/error``
(with ``newswatch/output/errno``) when the file cannot be written: the crawl then stops, since
every article after it would be lost too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from store.fingerprint import fingerprint
from store.items import Article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["JsonLinesPipeline"]

logger = logging.getLogger(__name__)


class JsonLinesPipeline:
    """Item pipeline appending one JSON line per article, dropping repeats of a canonical URL."""

    def __init__(self, path: Path, stats: StatsCollector | None = None,
                 crawler: Crawler | None = None) -> None:
        self.path = path
        self.stats = stats
        self.crawler = crawler
        self._file: IO[str] | None = None
        self._seen: set[str] = set()
        self._broken: OSError | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        output = crawler.settings.get("NEWSWATCH_OUTPUT")
        if not output:
            raise NotConfigured  # bare: being off is normal, not worth a warning
        return cls(Path(output), crawler.stats, crawler)

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")

    def close_spider(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:  # the last buffered bytes did not fit
                self._output_error(exc, stop=False)  # the crawl is stopping anyway
            self._file = None

    def process_item(self, item: Any) -> Any:
        try:
            article = item if isinstance(item, Article) else Article.from_dict(dict(item))
        except (TypeError, ValueError, KeyError) as exc:
            self._inc("newswatch/items/invalid")
            raise DropItem(f"not an article: {exc}") from exc
        if article.canonical_url in self._seen:
            self._inc("newswatch/items/duplicate")
            raise DropItem(f"duplicate of {article.canonical_url}", log_level="DEBUG")
        if self._broken is not None:
            raise DropItem(f"not written: {self._broken.strerror}", log_level="DEBUG")
        self._seen.add(article.canonical_url)
        if self._file is None:
            raise RuntimeError("JsonLinesPipeline.process_item() called before open_spider()")
        if article.fingerprint is None:
            article = replace(article, fingerprint=fingerprint(article.text))
        try:
            self._file.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
            self._file.flush()
        except OSError as exc:
            # A line cut short is skipped by the reader, so no partial article is stored.
            self._output_error(exc)
            raise DropItem(f"not written: {exc.strerror}", log_level="DEBUG") from None
        self._inc("newswatch/items/written")
        return item

    def _output_error(self, exc: OSError, *, stop: bool = True) -> None:
        if self._broken is not None:
            return
        self._broken = exc
        logger.error("Cannot write articles to %(path)s: %(reason)s; stopping the crawl",
                     {"path": self.path, "reason": exc.strerror or exc})
        if self.stats is not None:
            self.stats.set_value("newswatch/output/error", exc.strerror or str(exc))
            self.stats.set_value("newswatch/output/errno", exc.errno)
        if stop and self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)
