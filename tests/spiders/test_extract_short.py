"""Short articles are articles: a crawl of a site of briefs keeps every one of them.

A brief (a headline and two paragraphs) and a Chinese article of four sentences are whole
articles; a dropped article is a missed alert.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spiders.runner import crawl_site
from store.items import CrawlResult, SiteSpec
from tests.spiders.briefsite import BRIEFS, CHINESE, BriefSite, body_of, brief_site
from tests.spiders.conftest import FAST


@pytest.fixture(scope="module")
def server() -> Iterator[BriefSite]:
    with brief_site() as server:
        yield server


@pytest.fixture(scope="module")
def crawl(server: BriefSite, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    site = SiteSpec(name="valley", feeds=(f"{server.base_url}/feed.xml",), max_age=0)
    return crawl_site(site, workdir=tmp_path_factory.mktemp("briefs"), settings=FAST,
                      timeout=120)


def by_path(crawl: CrawlResult, server: BriefSite) -> dict[str, object]:
    return {article.url.removeprefix(server.base_url): article for article in crawl.articles}


def test_every_brief_and_the_chinese_article_are_kept(crawl, server):
    assert not crawl.failed
    assert sorted(by_path(crawl, server)) == sorted(server.paths())
    assert crawl.stats.get("newswatch/pages/not_article", 0) == 0


@pytest.mark.parametrize("n", range(len(BRIEFS)))
def test_a_brief_is_its_headline_and_both_paragraphs(crawl, server, n):
    article = by_path(crawl, server)[f"/brief/{n}"]

    assert 150 <= len(body_of(n)) <= 230
    assert article.title == BRIEFS[n][0]
    assert article.text == body_of(n)
    # Briefs that say when they were published say what the feed says; the bare ones get the
    # feed's time.
    assert article.published == server.published(f"/brief/{n}")


def test_the_chinese_article_of_four_sentences_is_kept(crawl, server):
    article = by_path(crawl, server)["/zh/jiaotong"]

    assert len(CHINESE[1]) < 200  # what the old floor dropped
    assert article.title == CHINESE[0]
    assert article.text == CHINESE[1]
    assert article.language == "zh"
    assert article.published == server.published("/zh/jiaotong")
