import threading
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

import store.articles
import store.stories
from store.articles import content_hash, is_stored, save_articles
from store.db import session_factory
from store.fingerprint import fingerprint
from store.items import Article as Crawled
from store.models import Article, Story
from tests.store.story_pairs import PUTIN, PUTIN_LEDGER

# The code stamps re-fetches with the real clock (Article.checked, .updated): fetched before them.
NOW = datetime.now(UTC).replace(microsecond=0)


def crawled(
    url="https://news.example/world/putin-visit", title="Putin to visit China", text="Body."
):
    return Crawled(url=url, canonical_url=url, site="courier", title=title, text=text, fetched=NOW)


def test_new_article_gets_its_own_story(database_url):
    with session_factory(database_url).begin() as session:
        saved = save_articles(session, [crawled()])
        assert [s.status for s in saved] == ["new"]
        article = session.get(Article, saved[0].article_id)
        assert article.story.title == "Putin to visit China"
        assert article.fetched == NOW


def test_same_url_with_tracking_is_the_same_article(database_url):
    factory = session_factory(database_url)
    with factory.begin() as session:
        save_articles(session, [crawled()])
    with factory.begin() as session:
        again = crawled(url="https://NEWS.example/world/putin-visit?utm_source=x#top")
        assert save_articles(session, [again]) == []
        assert is_stored(session, "https://news.example/world/putin-visit?fbclid=1")
        assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_an_unchanged_article_fetched_again_is_marked_checked(database_url):
    factory = session_factory(database_url)
    with factory.begin() as session:
        save_articles(session, [crawled()])
        assert session.scalar(select(Article.checked)) is None
    with factory.begin() as session:
        assert save_articles(session, [crawled()]) == []
    with factory() as session:
        stored = session.scalar(select(Article))
        assert stored.checked is not None and stored.checked >= stored.fetched
        assert stored.updated is None and stored.previous_hash is None


def test_edit_in_place_updates_and_keeps_previous_hash(database_url):
    factory = session_factory(database_url)
    with factory.begin() as session:
        first = save_articles(session, [crawled()])[0]
    with factory.begin() as session:
        edited = save_articles(session, [crawled(text="Body, corrected.")])
        assert [s.status for s in edited] == ["updated"]
        assert edited[0].story_id == first.story_id
        article = session.get(Article, first.article_id)
        assert article.previous_hash == content_hash("Putin to visit China", "Body.")
        assert article.updated is not None
        assert session.scalar(select(func.count()).select_from(Story)) == 1


def test_whitespace_is_not_an_edit():
    assert content_hash("T", "a  b\n c") == content_hash("T", "a b c")


def test_one_url_twice_in_one_crawl_is_one_article(database_url):
    with session_factory(database_url).begin() as session:
        same = save_articles(session, [crawled(), crawled(url=crawled().url + "?utm_source=x")])
        assert [s.status for s in same] == ["new"]
        edited = save_articles(session, [crawled(url="https://news.example/a"),
                                         crawled(url="https://news.example/a", text="Body, v2.")])
        assert [s.status for s in edited] == ["new", "updated"]
        assert edited[0].article_id == edited[1].article_id
        assert session.scalar(select(func.count()).select_from(Article)) == 2


def test_a_body_the_crawl_child_fingerprinted_is_not_fingerprinted_again(database_url,
                                                                          monkeypatch):
    original = crawled(url="https://news.example/a", text=PUTIN)
    copy = crawled(url="https://ledger.example/b", text=PUTIN_LEDGER)
    edited = crawled(url="https://news.example/a", text=PUTIN + "\n\nHe will also visit Tianjin.")
    original, copy, edited = (Crawled.from_dict({**c.to_dict(), "fingerprint": fingerprint(c.text)
                                                 .to_json()}) for c in (original, copy, edited))

    def refuse(text: str) -> None:
        raise AssertionError("fingerprinted again")

    monkeypatch.setattr(store.articles, "fingerprint", refuse)
    monkeypatch.setattr(store.stories, "fingerprint", refuse)  # an edit is indexed again
    with session_factory(database_url).begin() as session:
        saved = save_articles(session, [original, copy])
        again = save_articles(session, [edited])
    assert [s.status for s in saved] == ["new", "new"]
    assert saved[1].copy_of == saved[0].article_id  # the carried fingerprints found the copy
    assert saved[0].story_id == saved[1].story_id
    assert [s.status for s in again] == ["updated"]


def test_two_workers_storing_one_url_at_once_keep_one_article(database_url):
    # The second worker finds nothing stored (PostgreSQL) or waits for the write lock
    # (SQLite) while the first has not committed: either way one article comes out, edited by
    # the second, and no story is left without an article.
    factory = session_factory(database_url)
    second: list[list] = []

    def store_edited_copy() -> None:
        with factory.begin() as session:
            second.append(save_articles(session, [crawled(text="Body, corrected.")]))

    with factory.begin() as session:
        [first] = save_articles(session, [crawled()])
        worker = threading.Thread(target=store_edited_copy)
        worker.start()
        time.sleep(0.5)  # the second worker reaches its insert and waits there
    worker.join(timeout=30)
    assert [[(s.status, s.article_id) for s in saved] for saved in second] == [
        [("updated", first.article_id)]]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(Story)) == 1
        assert session.scalar(select(Article.body)) == "Body, corrected."
