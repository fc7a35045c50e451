"""Stories: which stored article a new one is a copy of, through the index in ``story_keys``.

A lookup costs one indexed probe per key of the new body (about one shingle in eight) within
the story window, then an exact comparison with the few articles that share enough keys, from
their stored shingles (``story_shingles``). The number of stored articles does not enter into
it: a key that many articles in the window share (boilerplate, a stock phrase) stops being
indexed once ``CROWDED`` articles hold it, so no probe reads more than that many rows, and such
keys carry no evidence of copying anyway.

The index lives in the database: every worker shares it and it survives restarts. Two workers
storing two copies of one story in the same instant may each start a story; nothing else races.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session, selectinload

from store.fingerprint import Fingerprint, Resemblance, fingerprint, resemblance
from store.models import Article, Story, StoryKey, StoryShingles

DEFAULT_WINDOW = timedelta(days=7)
CROWDED = 8  # articles in the window holding one key, beyond which the key is not indexed
MIN_ESTIMATE = 0.3  # share of the smaller key set in common, before an exact comparison
MAX_COMPARED = 5  # candidates compared exactly, best estimates first

_KEYS = StoryKey.__table__
_SHINGLES = StoryShingles.__table__
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@lru_cache(maxsize=512)
def _probe_sql(mark: str, keys: int) -> str:
    """The probe for ``keys`` keys, in the driver's own placeholders (``?`` or ``%s``): per
    article of the window, how many of the keys it holds, and its ``key_count``.

    Plain SQL run with ``exec_driver_sql``: a lookup runs for every stored article, and
    SQLAlchemy would spend more time re-rendering the ``IN`` list than the database spends
    answering (measured in bench/bench_stories.py). The database counts: a body shares a few
    keys with many articles (stock phrases), and reading those rows one by one into Python
    cost more than the probe itself.
    """
    return (
        f"SELECT article_id, count(*), max(key_count) FROM {_KEYS.name} "
        f"WHERE {_in_window(mark, keys)} GROUP BY article_id"
    )


@lru_cache(maxsize=512)
def _crowded_sql(mark: str, keys: int) -> str:
    """The keys among ``keys`` that ``CROWDED`` or more articles of the window hold."""
    return (
        f'SELECT "key" FROM {_KEYS.name} WHERE {_in_window(mark, keys)} '
        f"GROUP BY \"key\" HAVING count(*) >= {CROWDED}"
    )


def _in_window(mark: str, keys: int) -> str:
    """The condition of both probes: one of ``keys`` keys, within the window."""
    marks = ", ".join([mark] * keys)
    return f'"key" IN ({marks}) AND "at" BETWEEN {mark} AND {mark}'


@lru_cache(maxsize=64)
def _candidates_sql(mark: str, ids: int) -> str:
    """The stored shingles and story of ``ids`` articles."""
    marks = ", ".join([mark] * ids)
    return (
        f"SELECT s.article_id, a.story_id, s.shingles FROM {_SHINGLES.name} s "
        f"JOIN {Article.__tablename__} a ON a.id = s.article_id "
        f"WHERE s.article_id IN ({marks})"
    )


@lru_cache(maxsize=4)
def _add_keys_sql(mark: str) -> str:
    """One row of ``story_keys``, for ``executemany``."""
    return (f'INSERT INTO {_KEYS.name} ("key", "at", article_id, key_count) '
            f"VALUES ({mark}, {mark}, {mark}, {mark})")


@lru_cache(maxsize=4)
def _add_shingles_sql(mark: str) -> str:
    """An article's row of ``story_shingles``."""
    return f"INSERT INTO {_SHINGLES.name} (article_id, shingles) VALUES ({mark}, {mark})"


def _mark(connection: Connection) -> str:
    """The placeholder of the driver: sqlite3 takes ``?``, psycopg ``%s``."""
    return _PLACEHOLDERS[connection.dialect.paramstyle]


@dataclass(frozen=True, kw_only=True)
class Copy:
    """The stored article a new body is a copy of, and how alike they are."""

    article_id: int
    story_id: int
    resemblance: Resemblance


@dataclass(frozen=True, kw_only=True)
class Lookup:
    """What the index says about a body: the article it copies, if any, and its crowded keys."""

    copy_of: Copy | None
    crowded: frozenset[int]


def unix_time(article: Article) -> int:
    """The article's time on the index: when it was published, else when it was fetched."""
    return unix_time_of(article.published, article.fetched)


def unix_time_of(published: datetime | None, fetched: datetime) -> int:
    """``unix_time`` of an article not stored yet."""
    return int((published or fetched).timestamp())


def look_up(session: Session, body: Fingerprint, *, at: int, window: timedelta) -> Lookup:
    """Find the stored article within ``window`` of ``at`` that ``body`` is a copy of."""
    if not body.keys:
        return Lookup(copy_of=None, crowded=frozenset())
    span = int(window.total_seconds())
    connection = session.connection()
    mark = _mark(connection)
    parameters = (*body.keys, at - span, at + span)
    shared = connection.exec_driver_sql(_probe_sql(mark, len(body.keys)), parameters).all()
    crowded: frozenset[int] = frozenset()
    # A crowded key is held by CROWDED articles, so fewer articles sharing any key rule it out.
    if len(shared) >= CROWDED:
        crowded = frozenset(connection.exec_driver_sql(_crowded_sql(mark, len(body.keys)),
                                                       parameters).scalars())
    estimates = {
        article_id: n / min(len(body.keys), key_count) for article_id, n, key_count in shared
    }
    likely = sorted(
        (a for a, e in estimates.items() if e >= MIN_ESTIMATE),
        key=lambda a: (-estimates[a], -a),
    )[:MAX_COMPARED]
    return Lookup(copy_of=_best_copy(session, body, likely), crowded=crowded)


def _best_copy(session: Session, body: Fingerprint, article_ids: list[int]) -> Copy | None:
    if not article_ids:
        return None
    copies = []
    connection = session.connection()
    sql = _candidates_sql(_mark(connection), len(article_ids))
    for article_id, story_id, shingles in connection.exec_driver_sql(sql, tuple(article_ids)):
        alike = resemblance(body, Fingerprint.unpack(shingles))
        if alike.is_copy:
            copies.append(Copy(article_id=article_id, story_id=story_id, resemblance=alike))
    return max(copies, key=lambda c: (c.resemblance.containment, -c.article_id), default=None)


def add_to_index(
    session: Session, article_id: int, body: Fingerprint, *, at: int, crowded: Iterable[int] = ()
) -> None:
    """Index a stored article's body, leaving out the keys too many articles already hold."""
    skip = frozenset(crowded)
    count = len(body.keys)
    rows = [(k, at, article_id, count) for k in sorted(body.keys) if k not in skip]
    connection = session.connection()
    mark = _mark(connection)
    # Plain SQL, as for the probe: these run for every stored article.
    if rows:
        connection.exec_driver_sql(_add_keys_sql(mark), rows)
    connection.exec_driver_sql(_add_shingles_sql(mark), (article_id, body.pack()))


def index_again(
    session: Session, article: Article, *, window: timedelta, body: Fingerprint | None = None
) -> None:
    """Index an article whose body or time changed; it stays in its story. ``body`` is the
    fingerprint of its body, when already made."""
    connection = session.connection()
    connection.execute(delete(_KEYS).where(_KEYS.c.article_id == article.id))
    connection.execute(delete(_SHINGLES).where(_SHINGLES.c.article_id == article.id))
    if body is None:
        body = fingerprint(article.body)
    at = unix_time(article)
    found = look_up(session, body, at=at, window=window)
    add_to_index(session, article.id, body, at=at, crowded=found.crowded)


@dataclass(frozen=True, kw_only=True)
class StoryCopy:
    """One article of a story, as ``newswatch stories`` lists it."""

    site: str
    title: str
    url: str
    time: datetime


@dataclass(frozen=True, kw_only=True)
class StorySummary:
    """A story and every copy of it, the first one first."""

    id: int
    title: str
    time: datetime
    copies: tuple[StoryCopy, ...]

    @property
    def also_reported_by(self) -> tuple[str, ...]:
        """The sites that carried a copy, other than the first site."""
        first = self.copies[0].site if self.copies else None
        return tuple(dict.fromkeys(c.site for c in self.copies if c.site != first))


def recent_stories(session: Session, *, since: datetime) -> list[StorySummary]:
    """Stories with an article fetched since ``since``, newest first, each with its copies."""
    active = select(Article.story_id).where(Article.fetched >= since).distinct()
    stmt = select(Story).where(Story.id.in_(active)).options(selectinload(Story.articles))
    summaries = []
    for story in session.scalars(stmt):
        articles = sorted(story.articles, key=lambda a: (a.published or a.fetched, a.id))
        copies = tuple(
            StoryCopy(site=a.site, title=a.title, url=a.url, time=a.published or a.fetched)
            for a in articles
        )
        summaries.append(
            StorySummary(
                id=story.id,
                title=story.title,
                time=copies[0].time if copies else story.created,
                copies=copies,
            )
        )
    return sorted(summaries, key=lambda s: (s.time, s.id), reverse=True)
