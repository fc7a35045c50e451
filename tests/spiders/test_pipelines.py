from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from spiders.pipelines import JsonLinesPipeline
from store.fingerprint import fingerprint
from store.items import Article

FETCHED = datetime(2024, 11, 30, 12, 0, tzinfo=UTC)


def make(url: str, canonical: str | None = None) -> dict:
    return Article(url=url, canonical_url=canonical or url, site="news", title="A story",
                   text="Body.", fetched=FETCHED).to_dict()


@pytest.fixture
def crawler(tmp_path):
    return get_crawler(settings_dict={"NEWSWATCH_OUTPUT": str(tmp_path / "out" / "a.jsonl")})


@pytest.fixture
def pipeline(crawler):
    pipeline = JsonLinesPipeline.from_crawler(crawler)
    pipeline.open_spider()
    yield pipeline
    pipeline.close_spider()


def test_articles_are_written_one_per_line(pipeline, crawler):
    first, second = make("https://a.example/x/one"), make("https://a.example/x/two")
    assert pipeline.process_item(first) is first
    pipeline.process_item(second)
    pipeline.close_spider()

    lines = pipeline.path.read_text().splitlines()
    written = [Article.from_dict(json.loads(line)) for line in lines]
    assert [Article.from_dict(item) for item in (first, second)] == written
    assert crawler.stats.get_value("newswatch/items/written") == 2


def test_each_article_is_written_with_its_body_fingerprint(pipeline):
    text = ("The minister arrived in Paris on Monday for two days of talks. "
            "She met her counterpart at the foreign ministry before a working lunch.")
    item = Article(url="https://a.example/x/one", canonical_url="https://a.example/x/one",
                   site="news", title="A story", text=text, fetched=FETCHED)
    pipeline.process_item(item)
    pipeline.close_spider()

    written = Article.from_dict(json.loads(pipeline.path.read_text()))
    assert written.fingerprint == fingerprint(text)
    assert written.fingerprint.keys  # a body this long has index keys, and they come along


def test_duplicates_by_canonical_url_are_dropped(pipeline, crawler):
    pipeline.process_item(make("https://a.example/x/one?utm_source=rss",
                               "https://a.example/x/one"))
    with pytest.raises(DropItem, match="duplicate of https://a.example/x/one"):
        pipeline.process_item(make("https://a.example/x/one"))

    assert crawler.stats.get_value("newswatch/items/duplicate") == 1


def test_invalid_items_are_dropped_with_the_reason(pipeline, crawler):
    item = make("https://a.example/x/one")
    item["fetched"] = "2024-11-30T12:00:00"  # no time zone

    with pytest.raises(DropItem, match="fetched must be timezone-aware"):
        pipeline.process_item(item)
    with pytest.raises(DropItem, match="not an article"):
        pipeline.process_item({"title": "no url"})
    assert crawler.stats.get_value("newswatch/items/invalid") == 2


def test_not_configured_without_an_output():
    with pytest.raises(NotConfigured):
        JsonLinesPipeline.from_crawler(get_crawler())
