"""Saving crawled articles: one canonical URL is one article, an edit in place updates it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from spiders.items import Article as CrawledArticle
from store.models import Article, Story, utcnow
from store.urls import canonical_url


@dataclass(frozen=True, kw_only=True)
class SavedArticle:
    """An article that is new or changed in this run, as the match step needs it."""

    article_id: int
    story_id: int
    status: Literal["new", "updated"]


def content_hash(title: str, body: str) -> str:
    """A fingerprint of what the reader sees; whitespace changes are not edits."""
    normalised = " ".join(f"{title}\n{body}".split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def is_stored(session: Session, url: str) -> bool:
    """Whether an article with this URL (in any tracking or variant form) is already stored."""
    stmt = select(Article.id).where(Article.canonical_url == canonical_url(url)).limit(1)
    return session.scalar(stmt) is not None


def save_article(session: Session, crawled: CrawledArticle) -> SavedArticle | None:
    """Insert a new article, update an edited one; returns None when nothing changed."""
    key = canonical_url(crawled.canonical_url)
    digest = content_hash(crawled.title, crawled.text)
    existing = session.scalar(select(Article).where(Article.canonical_url == key))
    if existing is not None:
        if existing.content_hash == digest:
            return None
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
        return SavedArticle(article_id=existing.id, story_id=existing.story_id, status="updated")

    story = Story(title=crawled.title, created=crawled.fetched)
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
        story=story,
    )
    try:
        with session.begin_nested():  # another worker may store the same URL at the same moment
            session.add(article)
    except IntegrityError:
        return save_article(session, crawled)
    return SavedArticle(article_id=article.id, story_id=story.id, status="new")


def save_articles(session: Session, crawled: Iterable[CrawledArticle]) -> list[SavedArticle]:
    """Save a crawl's articles; returns the new and updated ones."""
    saved = (save_article(session, article) for article in crawled)
    return [s for s in saved if s is not None]
