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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from spiders.items import Article as CrawledArticle
from store.fingerprint import fingerprint
from store.models import Article, Story, utcnow
from store.stories import DEFAULT_WINDOW, add_to_index, index_again, look_up, unix_time
from store.urls import canonical_url


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
    digest = content_hash(crawled.title, crawled.text)
    existing = session.scalar(select(Article).where(Article.canonical_url == key))
    if existing is not None:
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
        session.flush()
        if (existing.body, unix_time(existing)) != indexed_as:
            index_again(session, existing, window=window)
        return SavedArticle(article_id=existing.id, story_id=existing.story_id, status="updated")

    article = Article(
        canonical_url=key,
        url=crawled.url,
        site=crawled.site,
        title=crawled.title,
        standfirst=crawled.standfirst,
        body=crawled.text,
        author=crawled.author,
        language=crawled.language,
        published=crawled.published,
        fetched=crawled.fetched,
        content_hash=digest,
    )
    body = fingerprint(crawled.text)
    at = unix_time(article)
    found = look_up(session, body, at=at, window=window)
    copy_of = found.copy_of
    if copy_of is not None:
        article.story_id = copy_of.story_id
    else:
        article.story = Story(title=crawled.title, created=crawled.fetched)
    try:
        with session.begin_nested():  # another worker may store the same URL at the same moment
            session.add(article)
            session.flush()
            add_to_index(session, article.id, body, at=at, crowded=found.crowded)
    except IntegrityError:
        return save_article(session, crawled, window=window)
    return SavedArticle(
        article_id=article.id,
        story_id=article.story_id,
        status="new",
        copy_of=copy_of.article_id if copy_of else None,
    )


def save_articles(
    session: Session, crawled: Iterable[CrawledArticle], *, window: timedelta = DEFAULT_WINDOW
) -> list[SavedArticle]:
    """Save a crawl's articles; returns the new and updated ones."""
    saved = (save_article(session, article, window=window) for article in crawled)
    return [s for s in saved if s is not None]
