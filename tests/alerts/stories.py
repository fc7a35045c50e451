"""Stories in the outbox for alert tests: saved articles, each matched by a watch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from store.articles import save_articles
from store.items import Article as Crawled
from store.outbox import NewMatch, record_match

NOW = datetime.now(UTC)


def add_stories(
    session: Session, watch: str, channels: Sequence[str], count: int, *, first: int = 0
) -> list[str]:
    """`count` new stories matched by `watch` on `channels`; returns their headlines."""
    crawled = []
    for n in range(first, first + count):
        title = f"{watch} story {n}"
        words = " ".join(f"{watch}{n}word{k}" for k in range(40))  # nothing alike: own stories
        crawled.append(
            Crawled(
                url=f"https://{watch}.example/{n}",
                canonical_url=f"https://{watch}.example/{n}",
                site="site",
                title=title,
                text=f"{title}. {words}.",
                fetched=NOW - timedelta(minutes=n),
            )
        )
    for saved in save_articles(session, crawled):
        new = NewMatch(
            watch=watch,
            story_id=saved.story_id,
            article_id=saved.article_id,
            snippet="snippet",
            marks=(),
        )
        assert record_match(session, new, channels) is not None
    return [a.title for a in crawled]
