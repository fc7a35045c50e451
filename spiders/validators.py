"""Where the ETag / Last-Modified of feeds, sitemaps and section pages are kept between crawls.

The crawl child reads and writes the ``feed_validators`` table through
``NEWSWATCH_DATABASE_URL``. A validator is *trusted* (sent as a condition) only when a crawl
run of its site that succeeded and started no earlier than the crawl which fetched it is
recorded: the flow records a crawl run in the same transaction that stores the crawl's
articles, so a crawl whose articles never reached the database (a crash between crawl and
store, a crawl child that died writing its output) leaves validators that are not used, and the
next crawl reads the listing in full again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

__all__ = ["DatabaseValidators", "Record", "ValidatorStore", "Validators", "database_validators"]

logger = logging.getLogger(__name__)

# Crawl run start times go through JSON and the database; allow for rounding on the way.
_CLOCK_SLACK = timedelta(seconds=1)


@dataclass(frozen=True, kw_only=True)
class Validators:
    """What to send so the server can answer 304 Not Modified."""

    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True, kw_only=True)
class Record:
    """One listing as this crawl saw it. Empty ``validators`` keep the row (for ``parent``)
    without making the next request conditional."""

    url: str
    validators: Validators = Validators()
    parent: str | None = None


class ValidatorStore(Protocol):
    """What :class:`spiders.conditional.ConditionalRequestMiddleware` needs from storage."""

    def trusted(self, url: str) -> Validators | None:
        """The validators to send for ``url``, or None to fetch it unconditionally."""

    def children(self, url: str) -> list[str]:
        """The sitemaps that the sitemap index at ``url`` listed when it was last read."""

    def save(self, site: str, records: Iterable[Record], *, checked: datetime,
             refreshed: Iterable[str]) -> None:
        """Keep ``records``; ``refreshed`` listings were read in full, so their children are
        exactly the records naming them as parent."""


class DatabaseValidators:
    """The validator store on the Newswatch database (``store.models.FeedValidator``)."""

    def __init__(self, sessions: Callable[[], Session],
                 readers: Callable[[], Session] | None = None) -> None:
        self.sessions = sessions
        self.readers = readers or sessions

    def trusted(self, url: str) -> Validators | None:
        from store.models import CrawlRun, FeedValidator

        with self.readers() as session:
            row = session.scalar(select(FeedValidator).where(FeedValidator.url == url))
            if row is None or not (row.etag or row.last_modified):
                return None
            stored = session.scalar(
                select(CrawlRun.id)
                .where(
                    CrawlRun.site == row.site,
                    CrawlRun.started >= row.checked - _CLOCK_SLACK,
                    CrawlRun.failed.is_(False),
                )
                .limit(1)
            )
            if stored is None:
                logger.info("Not trusting the validators of %(url)s: the crawl that read it "
                            "was never stored", {"url": url})
                return None
            return Validators(etag=row.etag, last_modified=row.last_modified)

    def children(self, url: str) -> list[str]:
        from store.models import FeedValidator

        with self.readers() as session:
            stmt = select(FeedValidator.url).where(FeedValidator.parent == url)
            return sorted(session.scalars(stmt))

    def save(self, site: str, records: Iterable[Record], *, checked: datetime,
             refreshed: Iterable[str]) -> None:
        records = list(records)
        try:
            self._save(site, records, checked, set(refreshed))
        except IntegrityError:  # another site's crawl added the same URL meanwhile
            self._save(site, records, checked, set(refreshed))

    def _save(self, site: str, records: list[Record], checked: datetime,
              refreshed: set[str]) -> None:
        from store.models import FeedValidator

        with self.sessions() as session, session.begin():
            children = {r.url for r in records if r.parent}
            for parent in refreshed:
                session.execute(
                    update(FeedValidator)
                    .where(FeedValidator.parent == parent, FeedValidator.url.not_in(children))
                    .values(parent=None)
                )
            for record in records:
                row = session.scalar(select(FeedValidator).where(FeedValidator.url == record.url))
                if row is None:
                    row = FeedValidator(url=record.url)
                    session.add(row)
                row.site = site
                row.etag = record.validators.etag
                row.last_modified = record.validators.last_modified
                row.parent = record.parent or row.parent
                row.checked = checked


def database_validators(database_url: str) -> ValidatorStore:
    """The default validator store factory, named by ``NEWSWATCH_VALIDATOR_STORE``."""
    from store.db import read_session_factory, session_factory

    return DatabaseValidators(session_factory(database_url), read_session_factory(database_url))
