"""Stories in the store: copies join the first article's story, hard negatives never do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, insert, select

from bench.bench_stories import crawled as bench_crawled
from bench.bench_stories import grouping
from bench.stories_corpus import Corpus
from store.articles import save_article, save_articles
from store.db import alembic_config, create_db_engine, session_factory, upgrade
from store.fingerprint import Fingerprint, fingerprint
from store.items import Article as Crawled
from store.models import Article, Story, StoryKey, StoryShingles
from store.stories import CROWDED, recent_stories
from tests.store.story_pairs import (
    COPIES,
    COPIES_THROUGH_THE_ORIGINAL,
    ECB,
    NEGATIVES,
    PUTIN,
    QUAKE_CHILE,
)

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def crawled(site: str, body: str, *, slug: str = "story", at: datetime = T0, title: str = ""):
    url = f"https://{site}.example/news/{slug}"
    return Crawled(
        url=url,
        canonical_url=url,
        site=site,
        title=title or f"{site}: {body[:40]}",
        text=body,
        published=at,
        fetched=at,
    )


def save(factory, article: Crawled):
    with factory.begin() as session:
        return save_article(session, article)


@pytest.mark.parametrize(("name", "first", "second"), COPIES, ids=[c[0] for c in COPIES])
@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_a_copy_joins_the_story(sqlite_url, name, first, second, order):
    if order == "reversed":
        first, second = second, first
    factory = session_factory(sqlite_url)
    a = save(factory, crawled("courier", first))
    b = save(factory, crawled("ledger", second, at=T0 + timedelta(hours=3)))
    assert b.story_id == a.story_id, name
    assert b.copy_of == a.article_id


@pytest.mark.parametrize(("name", "first", "second"), NEGATIVES, ids=[n[0] for n in NEGATIVES])
@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_a_hard_negative_starts_its_own_story(sqlite_url, name, first, second, order):
    if order == "reversed":
        first, second = second, first
    factory = session_factory(sqlite_url)
    a = save(factory, crawled("courier", first))
    b = save(factory, crawled("ledger", second, at=T0 + timedelta(hours=3)))
    assert b.story_id != a.story_id, name
    assert b.copy_of is None


def test_copies_edited_apart_join_through_the_original(sqlite_url):
    factory = session_factory(sqlite_url)
    sites = ("wire", "courier", "ledger")
    saved = [
        save(factory, crawled(site, body, at=T0 + timedelta(minutes=10 * i)))
        for i, (site, body) in enumerate(zip(sites, COPIES_THROUGH_THE_ORIGINAL, strict=True))
    ]
    assert len({s.story_id for s in saved}) == 1


def test_stories_are_looked_up_within_the_window(sqlite_url):
    factory = session_factory(sqlite_url)
    first = save(factory, crawled("courier", PUTIN))
    late = crawled("ledger", PUTIN, slug="late", at=T0 + timedelta(days=8))
    assert save(factory, late).story_id != first.story_id
    with factory.begin() as session:
        later = crawled("gazette", PUTIN, slug="later", at=T0 + timedelta(days=9))
        assert save_article(session, later, window=timedelta(days=10)).story_id == first.story_id


def test_an_edit_in_place_stays_in_its_story_and_is_indexed_again(database_url):
    factory = session_factory(database_url)
    first = save(factory, crawled("courier", PUTIN))
    copy = save(factory, crawled("ledger", PUTIN, at=T0 + timedelta(hours=1)))
    assert copy.story_id == first.story_id

    correction = "\n\n".join(PUTIN.split("\n\n")[:3]) + (
        "\n\nThe Kremlin later said the visit would take place in the second half of the month, "
        "and that a large delegation of ministers and business leaders would travel with Putin."
    )
    edited = save(factory, crawled("courier", correction, title="Putin to visit China (updated)"))
    assert (edited.status, edited.article_id, edited.story_id) == (
        "updated",
        first.article_id,
        first.story_id,
    )
    with factory() as session:
        keys = set(
            session.scalars(select(StoryKey.key).where(StoryKey.article_id == first.article_id))
        )
        assert keys == set(fingerprint(correction).keys)
        stored = session.get(StoryShingles, first.article_id).shingles
        assert Fingerprint.unpack(stored).shingles == fingerprint(correction).shingles
        assert session.scalar(select(func.count()).select_from(Story)) == 1

    # A copy of the corrected text finds the story through the new keys.
    again = save(factory, crawled("gazette", correction, at=T0 + timedelta(hours=2)))
    assert again.story_id == first.story_id


def test_a_title_only_edit_keeps_the_keys(sqlite_url):
    factory = session_factory(sqlite_url)
    first = save(factory, crawled("courier", PUTIN, title="Putin to visit China"))
    edited = save(factory, crawled("courier", PUTIN, title="Putin to visit China next month"))
    assert edited.status == "updated"
    with factory() as session:
        count = select(func.count()).where(StoryKey.article_id == first.article_id)
        assert session.scalar(count) == len(fingerprint(PUTIN).keys)


def test_a_key_many_articles_share_stops_being_indexed(sqlite_url):
    boilerplate = (
        "This article was produced by the Wire news agency and is republished under licence. "
        "Sign up to receive the most important stories of the day in your inbox every morning."
    )
    corpus = Corpus(11)
    bodies = [f"{item.body}\n\n{boilerplate}" for item in corpus.generate(3 * CROWDED, copies=0)]
    factory = session_factory(sqlite_url)
    with factory.begin() as session:
        save_articles(
            session,
            [crawled(f"site{i}", body, slug=str(i)) for i, body in enumerate(bodies)],
        )
    shared = fingerprint(boilerplate).keys
    assert shared
    with factory() as session:
        per_key = select(StoryKey.key, func.count()).where(StoryKey.key.in_(shared))
        counts = dict(session.execute(per_key.group_by(StoryKey.key)).all())
    assert counts and max(counts.values()) <= CROWDED


def test_a_generated_set_groups_copies_and_nothing_else(sqlite_url):
    items = Corpus(5).generate(800)
    factory = session_factory(sqlite_url)
    story_of = {}
    with factory.begin() as session:
        for item in items:
            story_of[item.id] = save_article(session, bench_crawled(item)).story_id
    result = grouping(items, story_of)
    assert result["false_merges"] == 0, result
    assert result["recall"] >= 0.95, result


def test_recent_stories_list_their_copies_newest_first(sqlite_url):
    factory = session_factory(sqlite_url)
    now = datetime.now(UTC)
    save(factory, crawled("courier", PUTIN, at=now - timedelta(hours=3), title="Putin to visit"))
    save(factory, crawled("ledger", PUTIN, at=now - timedelta(hours=2), title="Kremlin: trip"))
    save(factory, crawled("gazette", PUTIN, at=now - timedelta(hours=1), title="Putin trip"))
    save(factory, crawled("ledger", ECB, slug="ecb", at=now - timedelta(minutes=30), title="ECB"))
    save(factory, crawled("ledger", QUAKE_CHILE, slug="old", at=now - timedelta(days=3)))
    with factory() as session:
        stories = recent_stories(session, since=now - timedelta(days=1))
    assert [s.title for s in stories] == ["ECB", "Putin to visit"]
    putin = stories[1]
    assert [c.site for c in putin.copies] == ["courier", "ledger", "gazette"]
    assert putin.also_reported_by == ("ledger", "gazette")
    assert putin.time == now - timedelta(hours=3)


def test_the_migration_indexes_recent_stored_articles(database_url):
    engine = create_db_engine(database_url)
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
        now = datetime.now(UTC)
        connection.execute(insert(Story.__table__), [{"id": 1, "title": "T", "created": now}])
        row = {
            "canonical_url": "https://courier.example/1",
            "url": "https://courier.example/1",
            "site": "courier",
            "title": "T",
            "standfirst": "",
            "body": PUTIN,
            "fetched": now,
            "content_hash": "x",
            "story_id": 1,
        }
        connection.execute(insert(Article.__table__).values(**row))
    upgrade(engine)
    with engine.connect() as connection:
        count = select(func.count()).select_from(StoryKey.__table__)
        assert connection.scalar(count) == len(fingerprint(PUTIN).keys)
        stored = connection.scalar(select(StoryShingles.__table__.c.shingles))
        assert Fingerprint.unpack(stored).shingles == fingerprint(PUTIN).shingles
    engine.dispose()
    factory = session_factory(database_url)
    copy = crawled("ledger", PUTIN, at=now + timedelta(hours=1))
    assert save(factory, copy).story_id == 1
