"""Site health: each run judged from its crawl, episodes opened and closed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.crawlruns import record_crawl_run
from store.db import session_factory
from store.health import SiteCheck, broken_sites, pending_change, record_change
from store.items import Article, CrawlResult

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
GOOD = SiteCheck(site="s", listed=5, pages_read=5, with_body=5, with_date=4)
EMPTY = SiteCheck(site="s", listed=0)
FAILED = SiteCheck(site="s", failed=True, error="https://s.example/rss: HTTP 500")


def article(n: int, *, dated: bool) -> Article:
    url = f"https://s.example/a{n}"
    return Article(url=url, canonical_url=url, site="s", title="T", text="B", fetched=T0,
                   published=T0 if dated else None)


def test_a_check_counts_pages_with_a_body_and_a_date():
    result = CrawlResult(
        site="s",
        articles=(article(1, dated=True), article(2, dated=False)),
        stats={"newswatch/entries": 6, "newswatch/skipped_old": 2,
               "newswatch/items/extracted": 2, "newswatch/pages/not_article": 6},
    )
    check = SiteCheck.from_crawl(result)
    assert (check.listed, check.pages_read, check.with_body, check.with_date) == (8, 8, 2, 1)
    assert check.body_share == 0.25 and check.date_share == 0.5
    assert check.problem == "no article could be extracted from 6 of 8 article pages"


@pytest.mark.parametrize(
    ("check", "problem"),
    [
        (GOOD, None),
        (FAILED, "the crawl failed: https://s.example/rss: HTTP 500"),
        (EMPTY, "its feeds, sitemaps and section pages list no articles"),
        (SiteCheck(site="s", listed=0, unchanged=True), None),  # 304: nothing new, not broken
        (SiteCheck(site="s", listed=9, pages_read=0), None),  # every link already stored
        (SiteCheck(site="s", listed=2, pages_read=2, with_body=0), None),  # too few to judge
    ],
)
def test_what_makes_a_run_bad(check, problem):
    assert check.problem == problem


def record(session, check: SiteCheck, when: datetime) -> None:
    record_crawl_run(session, site=check.site, started=when, finished=when, pages=0,
                     articles_found=check.with_body, articles_new=0, articles_updated=0,
                     failed=check.failed, errors=[], check=check)


def test_broken_once_per_episode_then_recovered_once(database_url):
    factory = session_factory(database_url)
    said = []
    runs = [GOOD, FAILED, EMPTY, FAILED, FAILED, EMPTY, GOOD, GOOD, FAILED]
    for n, check in enumerate(runs):
        with factory.begin() as session:
            record(session, check, T0 + timedelta(minutes=15 * n))
        with factory.begin() as session:
            change = pending_change(session, "s", after=3)
            if change:
                record_change(session, change, channel=None)
                said.append((n, change.kind))
    assert said == [(3, "broken"), (6, "recovered")]


def test_an_unsent_message_is_proposed_again(sqlite_url):
    factory = session_factory(sqlite_url)
    for n in range(3):
        with factory.begin() as session:
            record(session, EMPTY, T0 + timedelta(minutes=n))
    with factory.begin() as session:
        first = pending_change(session, "s", after=3)  # not recorded: rolled back
    with factory.begin() as session:
        again = pending_change(session, "s", after=3)
        assert again == first and again.kind == "broken"
        assert again.since == T0 and again.bad_runs == 3
        assert "list no articles" in again.body
        record_change(session, again, channel=None)
    with factory() as session:
        assert [h.site for h in broken_sites(session)] == ["s"]
