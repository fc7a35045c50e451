"""The tables: articles grouped into stories, watch matches, the delivery outbox, crawl runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Story(Base):
    """One piece of journalism; every copy of it on any site is an article of this story."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    articles: Mapped[list[Article]] = relationship(
        back_populates="story", order_by="Article.fetched"
    )
    matches: Mapped[list[Match]] = relationship(back_populates="story")

    def __repr__(self) -> str:
        return f"Story(id={self.id!r}, title={self.title[:40]!r})"


class Article(Base):
    """One canonical URL's article, updated in place when it is edited."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    site: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text)
    standfirst: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(20))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    fetched: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it was last fetched again (its listing said it changed), whether or not it had.
    checked: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stored or edited and not matched against the watches yet: set in the transaction that
    # stores it, cleared in the one that records its matches, so a run that dies in between
    # leaves it for the next run to match rather than losing its alerts.
    match_pending: Mapped[bool] = mapped_column(Boolean, server_default=false(), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)

    story: Mapped[Story] = relationship(back_populates="articles")

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, site={self.site!r}, url={self.canonical_url!r})"


class StoryKey(Base):
    """One sampled shingle of an article's body: the index that finds copies of a story.

    A lookup reads the rows of a new body's keys within the story window through the primary
    key (key, at, article_id); see ``store.stories``. ``at`` is the article's time (published,
    else fetched) in Unix seconds; ``key_count`` is how many keys its body has, so a lookup can
    estimate how much of each candidate it shares before reading the candidate's body.
    """

    __tablename__ = "story_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id"), primary_key=True, index=True
    )
    key_count: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"StoryKey(key={self.key!r}, article_id={self.article_id!r})"


class StoryShingles(Base):
    """An indexed article's shingles in reading order (``Fingerprint.pack``), so that a lookup
    compares a candidate without fingerprinting its body again."""

    __tablename__ = "story_shingles"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    shingles: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"StoryShingles(article_id={self.article_id!r})"


class Match(Base):
    """A watch matched a story: once per (watch, story), which is what makes alerts unique."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("watch", "story_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watch: Mapped[str] = mapped_column(String(200), index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    snippet: Mapped[str] = mapped_column(Text, default="")
    marks: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    story: Mapped[Story] = relationship(back_populates="matches")
    article: Mapped[Article] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="match")

    def __repr__(self) -> str:
        return f"Match(id={self.id!r}, watch={self.watch!r}, story_id={self.story_id!r})"


class DeliveryState:
    PENDING = "pending"  # not tried yet (a scheduled watch's rows wait here for their slot)
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; still queued, retried until it expires
    EXPIRED = "expired"  # unsent after the expiry time; never tried again

    RETRYABLE = (PENDING, FAILED)


class DeliveryKind:
    ALERT = "alert"  # a watch's story, sent in the watch's digest for the channel
    HEALTH = "health"  # a site health message ("looks broken", "recovered"), sent on its own


class Delivery(Base):
    """The outbox: one row per (watch, story, channel) alert, and one per site health message.
    The channel is its name, never its URL.

    ``claimed_by`` / ``claim_until`` are a lease: a run sets them (atomically, only on an
    unclaimed row or one whose lease ran out) before it sends the row, and clears them when it
    records the outcome, so two runs at once never send the same row.

    A health message has no match or story: it carries its own ``title`` and ``body``, and
    ``watch`` names its site as ``health:SITE`` (a colon no watch name has).
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("watch", "story_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(20), default=DeliveryKind.ALERT, server_default=DeliveryKind.ALERT
    )
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id"), index=True)
    watch: Mapped[str] = mapped_column(String(200))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"))
    channel: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    match: Mapped[Match | None] = relationship(back_populates="deliveries")

    def __repr__(self) -> str:
        return (
            f"Delivery(id={self.id!r}, watch={self.watch!r}, story_id={self.story_id!r}, "
            f"channel={self.channel!r}, state={self.state!r})"
        )


class CrawlRun(Base):
    """One crawl of one site: when, what it found, and what went wrong."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(200), index=True)
    started: Mapped[datetime] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_found: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_updated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Site health (store.health): article links listed, article pages read, how many of those
    # gave a body and a date, and why the run was bad (None: it was fine).
    listed: Mapped[int | None] = mapped_column(Integer)
    pages_read: Mapped[int | None] = mapped_column(Integer)
    with_body: Mapped[int | None] = mapped_column(Integer)
    with_date: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"CrawlRun(id={self.id!r}, site={self.site!r}, failed={self.failed!r})"


class SiteHealth(Base):
    """A site's broken episode: open while ``notified`` says "looks broken" went out."""

    __tablename__ = "site_health"

    site: Mapped[str] = mapped_column(String(200), primary_key=True)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    broken_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(Text)
    changed: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"SiteHealth(site={self.site!r}, notified={self.notified!r})"


class FeedValidator(Base):
    """What a feed, sitemap or section page answered last time, so the next request can be
    conditional (ETag / Last-Modified) and an unchanged listing costs one 304.

    ``checked`` is the start of the crawl that fetched this version; the validators are only
    used once a crawl run of ``site`` that started then or later is recorded, i.e. once the
    articles that version listed are stored. ``parent`` is the sitemap index that lists this
    sitemap, so an unchanged index still leads to its sitemaps.
    """

    __tablename__ = "feed_validators"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    site: Mapped[str] = mapped_column(String(200), index=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    parent: Mapped[str | None] = mapped_column(String(2048), index=True)
    checked: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"FeedValidator(url={self.url!r}, etag={self.etag!r})"
