"""alerts.watching: matching what the store holds, through a real database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from alerts.watching import match_pending
from store.articles import save_articles
from store.db import session_factory
from store.items import Article as CrawledArticle
from store.models import Article, Match

URL = "https://news.example/world/putin-visit"
WATCHES = {"putin-visit": "Putin visit"}
CHANNELS = {"putin-visit": ["team"]}
BODY = ("Russian President Vladimir Putin will visit China next month for talks with President "
        "Xi Jinping, the Kremlin said on Tuesday. " * 3)


def crawled(text: str = BODY) -> CrawledArticle:
    return CrawledArticle(
        url=URL, canonical_url=URL, site="courier", title="Putin to visit China", text=text,
        fetched=datetime(2026, 11, 30, 8, tzinfo=UTC),
    )


def pending(session) -> int:
    return session.scalar(select(func.count()).where(Article.match_pending))


def test_stored_articles_wait_for_matching_once(database_url):
    factory = session_factory(database_url)
    with factory.begin() as session:
        save_articles(session, [crawled()])
        assert pending(session) == 1
    with factory.begin() as session:
        recorded = match_pending(session, WATCHES, CHANNELS)
        assert [m.watch for m in recorded] == ["putin-visit"]
        assert pending(session) == 0
    with factory.begin() as session:
        assert match_pending(session, WATCHES, CHANNELS) == []


def test_an_edit_is_matched_again_without_a_second_alert(database_url):
    factory = session_factory(database_url)
    with factory.begin() as session:
        save_articles(session, [crawled()])
        match_pending(session, WATCHES, CHANNELS)
    with factory.begin() as session:
        save_articles(session, [crawled(BODY + " Updated with the dates of the trip.")])
        assert pending(session) == 1
        assert match_pending(session, WATCHES, CHANNELS) == []  # the story is matched already
        assert pending(session) == 0
        assert session.scalar(select(func.count()).select_from(Match)) == 1


def test_a_failed_transaction_leaves_the_articles_pending(database_url):
    factory = session_factory(database_url)
    with factory.begin() as session:
        save_articles(session, [crawled()])
    try:
        with factory.begin() as session:
            match_pending(session, WATCHES, CHANNELS)
            raise RuntimeError("the run died before committing")
    except RuntimeError:
        pass
    with factory() as session:
        assert pending(session) == 1
        assert session.scalar(select(func.count()).select_from(Match)) == 0
