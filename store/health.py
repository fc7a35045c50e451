"""Site health: is each site still giving articles that Newswatch can read?

Every crawl run of a site is judged on its own (:class:`SiteCheck`) and recorded on its
``crawl_runs`` row. A run is *bad* when

- the crawl failed (no page fetched, no feed or page readable, the crawler crashed), or
- its feeds, sitemaps and section pages listed no article link at all (an unchanged listing,
  answered 304, is not "nothing": the site is there, it just has no news), or
- extraction failed on most of the article pages it read (at least ``MIN_PAGES_JUDGED``).

A site whose last ``after`` runs were all bad *looks broken*: :func:`pending_change` returns a
"broken" change once per episode, and a "recovered" change at the first good run after the
"broken" one. :func:`record_change` opens or closes the episode and, in the same transaction,
queues the message in the outbox (``store.outbox``), which sends it after the transaction,
like an alert: claimed, retried after a failure, expired if it never goes out. So each
change is one message, and no transaction is held open while a service is called.

Counts under stats keys come from the crawler (``spiders.news``): ``newswatch/entries`` (links
requested), ``newswatch/skipped_old``, ``newswatch/sources/not_modified``,
``newswatch/pages/not_article`` and ``newswatch/items/extracted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.items import CrawlResult
from store.models import CrawlRun, SiteHealth
from store.outbox import queue_message

__all__ = [
    "HEALTH_PREFIX",
    "MIN_PAGES_JUDGED",
    "HealthChange",
    "SiteCheck",
    "bad_streak",
    "broken_sites",
    "pending_change",
    "record_change",
]

#: Fewer article pages than this say nothing about extraction (one odd page is not a trend).
MIN_PAGES_JUDGED = 3
#: A health message's outbox row names its site as ``health:SITE`` where an alert names its watch.
HEALTH_PREFIX = "health:"


@dataclass(frozen=True, kw_only=True)
class SiteCheck:
    """How one crawl run of one site went, in the terms site health judges it by."""

    site: str
    listed: int = 0  # article links the listings gave, including stored and old ones
    pages_read: int = 0  # article pages fetched and run through extraction
    with_body: int = 0  # pages that gave an article body
    with_date: int = 0  # articles with a publication date
    unchanged: bool = False  # some listing answered 304 Not Modified
    failed: bool = False
    error: str | None = None  # the crawl's first error, when it failed

    @classmethod
    def from_crawl(cls, result: CrawlResult) -> SiteCheck:
        stats = result.stats
        extracted = int(stats.get("newswatch/items/extracted", len(result.articles)))
        return cls(
            site=result.site,
            listed=int(stats.get("newswatch/entries", 0))
            + int(stats.get("newswatch/skipped_old", 0)),
            pages_read=extracted + int(stats.get("newswatch/pages/not_article", 0)),
            with_body=extracted,
            with_date=sum(1 for a in result.articles if a.published is not None),
            unchanged=bool(stats.get("newswatch/sources/not_modified")),
            failed=result.failed,
            error=result.errors[0] if result.errors else None,
        )

    @property
    def body_share(self) -> float | None:
        """Share of the article pages read that gave a body; None when none was read."""
        return self.with_body / self.pages_read if self.pages_read else None

    @property
    def date_share(self) -> float | None:
        """Share of the extracted articles that carry a publication date."""
        return self.with_date / self.with_body if self.with_body else None

    @property
    def problem(self) -> str | None:
        """Why this run was bad, in one line; None when it was fine."""
        if self.failed:
            return f"the crawl failed: {self.error or 'unknown error'}"
        if self.listed == 0 and not self.unchanged:
            return "its feeds, sitemaps and section pages list no articles"
        if self.pages_read >= MIN_PAGES_JUDGED and self.with_body * 2 < self.pages_read:
            return (
                f"no article could be extracted from {self.pages_read - self.with_body} "
                f"of {self.pages_read} article pages"
            )
        return None

    def columns(self) -> dict[str, Any]:
        """The ``crawl_runs`` columns this check fills."""
        return {
            "listed": self.listed,
            "pages_read": self.pages_read,
            "with_body": self.with_body,
            "with_date": self.with_date,
            "problem": self.problem,
        }


@dataclass(frozen=True, kw_only=True)
class HealthChange:
    """A message to send about a site: it looks broken, or it recovered."""

    site: str
    kind: Literal["broken", "recovered"]
    problem: str | None  # the last bad run's problem (for "recovered": the episode's)
    since: datetime | None  # when the bad runs began
    bad_runs: int  # bad runs in a row that this change is about

    @property
    def title(self) -> str:
        if self.kind == "broken":
            return f"Newswatch: site {self.site} looks broken"
        return f"Newswatch: site {self.site} recovered"

    @property
    def body(self) -> str:
        since = f" since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
        if self.kind == "broken":
            return (
                f"{self.site}: the last {self.bad_runs} runs were bad{since}.\n"
                f"Last problem: {self.problem}.\n"
                f"Its news is being missed; try: newswatch spider check {self.site}"
            )
        return (
            f"{self.site} gives readable articles again (it looked broken{since}: "
            f"{self.problem})."
        )


def bad_streak(session: Session, site: str, *, limit: int) -> list[CrawlRun]:
    """The site's latest crawl runs, newest first, up to ``limit``, while they were bad."""
    runs = session.scalars(
        select(CrawlRun).where(CrawlRun.site == site).order_by(CrawlRun.id.desc()).limit(limit)
    )
    streak = []
    for run in runs:
        if run.problem is None:
            break
        streak.append(run)
    return streak


def pending_change(session: Session, site: str, *, after: int) -> HealthChange | None:
    """The message the site's latest runs call for, if one is due; locks the site's row."""
    health = _health_row(session, site)
    streak = bad_streak(session, site, limit=after)
    if len(streak) >= after and not health.notified:
        return HealthChange(
            site=site,
            kind="broken",
            problem=streak[0].problem,
            since=streak[-1].started,
            bad_runs=len(streak),
        )
    if not streak and health.notified:
        return HealthChange(
            site=site,
            kind="recovered",
            problem=health.problem,
            since=health.broken_since,
            bad_runs=0,
        )
    return None


def record_change(session: Session, change: HealthChange, *, channel: str | None) -> None:
    """The episode opens ("broken") or closes ("recovered"), and its message is queued for
    ``channel`` (None: no channel, the run report alone shows it)."""
    if channel is not None:
        queue_message(session, watch=f"{HEALTH_PREFIX}{change.site}", channel=channel,
                      title=change.title, body=change.body)
    health = _health_row(session, change.site)
    health.notified = change.kind == "broken"
    health.broken_since = change.since if health.notified else None
    health.problem = change.problem if health.notified else None
    health.changed = datetime.now(UTC)


def broken_sites(session: Session) -> list[SiteHealth]:
    """The sites whose "looks broken" message went out and who have not recovered yet."""
    return list(
        session.scalars(select(SiteHealth).where(SiteHealth.notified).order_by(SiteHealth.site))
    )


def _health_row(session: Session, site: str) -> SiteHealth:
    """The site's row, locked for this transaction (created on first use, race-safe)."""
    health = session.get(SiteHealth, site, with_for_update=True)
    if health is not None:
        return health
    try:
        with session.begin_nested():
            session.add(SiteHealth(site=site, notified=False))
    except IntegrityError:  # another run created it first
        pass
    return session.get(SiteHealth, site, with_for_update=True, populate_existing=True)
