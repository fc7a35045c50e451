"""Saving crawled articles: one canonical URL is one article, an edit in place updates it.

A new article joins the story of the stored article it is a copy of (``store.stories``), else it
starts a story of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from store.db import insert_new
from store.fingerprint import Fingerprint, fingerprint
from store.items import Article as CrawledArticle
from store.models import Article, Story, utcnow
from store.stories import (
    DEFAULT_WINDOW,
    add_to_index,
    index_again,
    look_up,
    unix_time,
    unix_time_of,
)
from store.urls import canonical_url

# Built once: a statement made per article spends more in SQLAlchemy than in the database.
_INSERT_STORY = insert(Story.__table__)
_IN_BATCH = 500  # canonical URLs per IN list: well under every driver's parameter limit


@dataclass(frozen=True, kw_only=True)
class SavedArticle:
    """An article that is new or changed in this run, as the match step needs it."""

    article_id: int
    story_id: int
    status: Literal["new", "updated"]
    copy_of: int | None = None  # a new article that joined a stored story: the article it copies


def content_hash(title: str, body: str) -> str:
    """A fingerprint of what the reader sees; whitespace changes are not edits."""
    normalised = " ".join(f"{title}\n{body}".split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def is_stored(session: Session, url: str) -> bool:
    """Whether an article with this URL (in any tracking or variant form) is already stored."""
    stmt = select(Article.id).where(Article.canonical_url == canonical_url(url)).limit(1)
    return session.scalar(stmt) is not None


def save_article(
    session: Session, crawled: CrawledArticle, *, window: timedelta = DEFAULT_WINDOW
) -> SavedArticle | None:
    """Insert a new article, update an edited one; returns None when nothing changed.

    A new article that copies one stored within ``window`` of it joins that article's story.
    A stored one fetched again is marked ``checked``, changed or not, so a listing that keeps
    announcing a newer date than its content does not have it fetched on every crawl.
    """
    key = canonical_url(crawled.canonical_url)
    existing = session.scalar(select(Article).where(Article.canonical_url == key))
    return _save(session, crawled, key, existing, window=window, body=crawled.fingerprint)


def save_articles(
    session: Session, crawled: Iterable[CrawledArticle], *, window: timedelta = DEFAULT_WINDOW
) -> list[SavedArticle]:
    """Save a crawl's articles, as ``save_article`` does each; returns the new and updated ones.

    The stored articles among them are read in a few queries up front rather than one per
    article: most of a crawl is new, and a lookup per article was a round trip each. Bodies
    the crawl child did not fingerprint are fingerprinted before the first query, since on
    SQLite the transaction holds the write lock from then on and crawl children reading the
    store wait for it.
    """
    crawled = list(crawled)
    keys = [canonical_url(c.canonical_url) for c in crawled]
    # Stored ones are rare (a crawl skips stored URLs unless their listing says they changed).
    bodies = [c.fingerprint or fingerprint(c.text) for c in crawled]
    stored = _stored_articles(session, keys)
    written: set[str] = set()  # stored by this call: a second copy of one URL looks it up again
    saved = []
    for item, key, body in zip(crawled, keys, bodies, strict=True):
        existing = stored.get(key)
        if existing is None and key in written:
            existing = session.scalar(select(Article).where(Article.canonical_url == key))
        result = _save(session, item, key, existing, window=window, body=body)
        written.add(key)
        if result is not None:
            saved.append(result)
    return saved


def _stored_articles(session: Session, keys: list[str]) -> dict[str, Article]:
    """The stored articles with these canonical URLs, by canonical URL."""
    found: dict[str, Article] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _IN_BATCH):
        stmt = select(Article).where(Article.canonical_url.in_(unique[start:start + _IN_BATCH]))
        found.update((a.canonical_url, a) for a in session.scalars(stmt))
    return found


def _save(
    session: Session, crawled: CrawledArticle, key: str, existing: Article | None, *,
    window: timedelta, body: Fingerprint | None = None,
) -> SavedArticle | None:
    """Save one article whose stored row (``existing``) was already looked up; ``body`` is
    its fingerprint when already made."""
    digest = content_hash(crawled.title, crawled.text)
    if existing is not None:
        return _update(session, existing, crawled, digest, window=window, body=body)
    if body is None:
        body = fingerprint(crawled.text)
    at = unix_time_of(crawled.published, crawled.fetched)
    found = look_up(session, body, at=at, window=window)
    copy_of = found.copy_of
    # Core inserts: the article is not used as an object afterwards, and the ORM's unit of
    # work cost more than the inserts themselves (two flushes per article).
    connection = session.connection()
    if copy_of is not None:
        story_id = copy_of.story_id
    else:
        story = connection.execute(
            _INSERT_STORY, {"title": crawled.title, "created": crawled.fetched})
        story_id = story.inserted_primary_key[0]
    article_id = connection.scalar(
        insert_new(session, Article.__table__, "canonical_url", returning=Article.__table__.c.id),
        {
            "canonical_url": key,
            "url": crawled.url,
            "site": crawled.site,
            "title": crawled.title,
            "standfirst": crawled.standfirst,
            "body": crawled.text,
            "author": crawled.author,
            "language": crawled.language,
            "published": crawled.published,
            "fetched": crawled.fetched,
            "content_hash": digest,
            "match_pending": True,
            "story_id": story_id,
        },
    )
    if article_id is None:  # another worker stored the same URL a moment ago: update that one
        if copy_of is None:
            connection.execute(delete(Story.__table__).where(Story.__table__.c.id == story_id))
        return save_article(session, crawled, window=window)
    add_to_index(session, article_id, body, at=at, crowded=found.crowded)
    return SavedArticle(
        article_id=article_id,
        story_id=story_id,
        status="new",
        copy_of=copy_of.article_id if copy_of else None,
    )


def _update(
    session: Session, existing: Article, crawled: CrawledArticle, digest: str, *,
    window: timedelta, body: Fingerprint | None,
) -> SavedArticle | None:
    """Mark a stored article checked; take the crawled text (fingerprinted as ``body``, when
    already made) if it was edited."""
    existing.checked = utcnow()
    if existing.content_hash == digest:
        return None
    indexed_as = (existing.body, unix_time(existing))
    existing.previous_hash = existing.content_hash
    existing.content_hash = digest
    existing.title = crawled.title
    existing.standfirst = crawled.standfirst
    existing.body = crawled.text
    existing.author = crawled.author
    existing.language = crawled.language or existing.language
    existing.published = crawled.published or existing.published
    existing.updated = utcnow()
    existing.match_pending = True
    session.flush()
    if (existing.body, unix_time(existing)) != indexed_as:
        index_again(session, existing, window=window, body=body)
    return SavedArticle(article_id=existing.id, story_id=existing.story_id, status="updated")
