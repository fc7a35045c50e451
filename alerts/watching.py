"""Watches over stored articles: record new (watch, story) matches, or try a query out.

The bridge between the matcher (pure) and the store: it reads articles through the caller's
session and writes matches through ``store.outbox``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alerts.matching import Document, Match, Matcher
from alerts.query import Query
from store.models import Article
from store.models import Match as MatchRow
from store.outbox import NewMatch, record_match

_BATCH = 500  # ids per IN list
# When an article appeared: its publication time, else when it was fetched.
_article_time = func.coalesce(Article.published, Article.fetched)


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
    Articles are matched oldest first, so a story's match is made on its earliest copy.
    """
    ids = list(article_ids)
    if not ids or not watches:
        return []
    return _record_matches(session, ids, Matcher(watches), channels)


def match_pending(
    session: Session,
    watches: Mapping[str, Query | str],
    channels: Mapping[str, Sequence[str]],
) -> list[NewMatch]:
    """Match every article stored or edited since it was last matched, and clear its mark.

    Those are this run's new and updated articles, and any that a run which died between its
    store and match steps left behind. Clearing the marks in the caller's transaction, with
    the matches it records, is what makes a crash repeat the matching rather than lose it.
    """
    stmt = (
        select(Article.id)
        .where(Article.match_pending.is_(True))
        .order_by(_article_time, Article.id)
        .with_for_update(skip_locked=True)  # PostgreSQL: a concurrent run takes the others
    )
    ids = list(session.scalars(stmt))
    matcher = Matcher(watches) if ids and watches else None
    recorded = []
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        if matcher is not None:
            recorded += _record_matches(session, batch, matcher, channels)
        session.execute(update(Article).where(Article.id.in_(batch)).values(match_pending=False))
    return recorded


def _record_matches(
    session: Session, ids: list[int], matcher: Matcher, channels: Mapping[str, Sequence[str]]
) -> list[NewMatch]:
    recorded: list[NewMatch] = []
    # Oldest first: a story's match (and its alert's headline) is its earliest copy, whichever
    # site's crawl happened to be stored first.
    stmt = select(Article).where(Article.id.in_(ids)).order_by(_article_time, Article.id)
    for article in session.scalars(stmt):
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
    stmt = select(Article).where(_article_time >= since).order_by(_article_time.desc())
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
