"""Writing the crawl's articles to a JSON-lines file, once per canonical URL.

Enabled by ``NEWSWATCH_OUTPUT`` (a file path). Each line is ``Article.to_dict()``; an item that
is not a valid Article is dropped with the reason. Stats keys: ``newswatch/items/written``,
``newswatch/items/duplicate``, ``newswatch/items/invalid``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured

from spiders.items import Article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["JsonLinesPipeline"]

logger = logging.getLogger(__name__)


class JsonLinesPipeline:
    """Item pipeline appending one JSON line per article, dropping repeats of a canonical URL."""

    def __init__(self, path: Path, stats: StatsCollector | None = None) -> None:
        self.path = path
        self.stats = stats
        self._file: IO[str] | None = None
        self._seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        output = crawler.settings.get("NEWSWATCH_OUTPUT")
        if not output:
            raise NotConfigured  # bare: being off is normal, not worth a warning
        return cls(Path(output), crawler.stats)

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")

    def close_spider(self) -> None:
        if self._file is not None:
            self._file.close()
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
        self._seen.add(article.canonical_url)
        if self._file is None:
            raise RuntimeError("JsonLinesPipeline.process_item() called before open_spider()")
        self._file.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")
        self._file.flush()
        self._inc("newswatch/items/written")
        return item

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)
