"""Watches over stored articles: record new (watch, story) matches, or try a query out.

The bridge between the matcher (pure) and the store: it reads articles through the caller's
session and writes matches through ``store.outbox``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.matching import Document, Match, Matcher
from alerts.query import Query
from store.models import Article
from store.models import Match as MatchRow
from store.outbox import NewMatch, record_match


def document_for(article: Article) -> Document:
    """What the matcher searches: the headline, then the standfirst and body."""
    return Document(
        title=article.title,
        text="\n\n".join(p for p in (article.standfirst, article.body) if p),
        site=article.site,
        url=article.canonical_url,
        language=article.language,
    )


def match_articles(
    session: Session,
    article_ids: Iterable[int],
    watches: Mapping[str, Query | str],
    channels: Mapping[str, Sequence[str]],
) -> list[NewMatch]:
    """Match these articles against every watch; returns the (watch, story) pairs new to the store.

    A story matched before by the same watch (an edit, or a copy on another site) is not new.
    """
    ids = list(article_ids)
    if not ids or not watches:
        return []
    matcher = Matcher(watches)
    recorded: list[NewMatch] = []
    for article in session.scalars(select(Article).where(Article.id.in_(ids))):
        for found in matcher.match(document_for(article)):
            new = NewMatch(
                watch=found.watch,
                story_id=article.story_id,
                article_id=article.id,
                snippet=found.snippet,
                marks=found.marks,
            )
            if record_match(session, new, channels.get(found.watch, ())) is not None:
                recorded.append(new)
    return recorded


def search_stored(
    session: Session,
    query: Query | str,
    *,
    since: datetime,
    sites: Sequence[str] = (),
    batch: int = 500,
) -> Iterator[tuple[Article, Match]]:
    """Stored articles fetched or published since ``since`` that ``query`` matches, newest first."""
    matcher = Matcher({"query": query})
    when = func.coalesce(Article.published, Article.fetched)
    stmt = select(Article).where(when >= since).order_by(when.desc())
    if sites:
        stmt = stmt.where(Article.site.in_(sites))
    for article in session.scalars(stmt.execution_options(yield_per=batch)):
        for found in matcher.match(document_for(article)):
            yield article, found


def match_counts(session: Session, *, since: datetime) -> dict[str, int]:
    """Stories matched per watch since ``since``."""
    stmt = (
        select(MatchRow.watch, func.count())
        .where(MatchRow.created >= since)
        .group_by(MatchRow.watch)
    )
    return {watch: count for watch, count in session.execute(stmt)}
