"""The steps of a run, each a named Prefect task: crawl → store → match → deliver → report."""

from __future__ import annotations

import logging
import pprint
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.context import TaskRunContext
from prefect.runtime import flow_run as current_flow_run
from prefect.runtime import task_run as current_task_run
from prefect.states import Failed, State
from prefect.tasks import Task, exponential_backoff
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.dispatch import DispatchReport, dispatch_due
from alerts.safetext import one_line
from alerts.watching import match_pending
from flows.config import Config, SiteConfig, parse_duration
from flows.wording import counted
from spiders.handoff import REFUSED_COUNT_KEY, REFUSED_URLS_KEY, CrawlProgress
from spiders.runner import crawl_site
from store.articles import SavedArticle, save_articles
from store.crawlruns import record_crawl_run
from store.db import database_reason, database_unavailable, session_factory
from store.health import HealthChange, SiteCheck, pending_change, record_change
from store.items import CrawlResult
from store.models import Article
from store.outbox import NewMatch


@dataclass(frozen=True, kw_only=True)
class SiteOutcome:
    """What one site's crawl and store step produced, for the report."""

    site: str
    pages: int = 0
    found: int = 0
    saved: tuple[SavedArticle, ...] = ()
    failed: bool = False
    errors: tuple[str, ...] = ()
    check: SiteCheck | None = None
    #: Requests not sent because their address was inside the network, and the first of them
    #: ("URL (reason)").
    refused: int = 0
    refused_urls: tuple[str, ...] = ()

    @property
    def new(self) -> int:
        return sum(1 for s in self.saved if s.status == "new")

    @property
    def updated(self) -> int:
        return sum(1 for s in self.saved if s.status == "updated")


@task(name="crawl", task_run_name="crawl-{site.name}", cache_policy=NO_CACHE)
def crawl(site: SiteConfig, config: Config) -> CrawlResult | State:
    """Crawl one site in a child Scrapy process. A broken site's task ends Failed with the
    reason, its CrawlResult still the task's result, so the run stores and reports it.

    While it runs, a progress artifact of the task run shows pages fetched out of pages asked for.
    """
    crawl_lines_to_task_log()
    with tempfile.TemporaryDirectory(prefix=f"newswatch-{site.name}-") as workdir:
        result = crawl_site(
            site.spec(),
            workdir=Path(workdir),
            database_url=config.database,
            settings=config.crawl.settings,
            timeout=parse_duration(config.crawl.timeout).total_seconds(),
            on_progress=ProgressReport(site.name),
        )
    log_crawled(result)
    if result.failed:
        reason = result.errors[0] if result.errors else "crawl failed"
        return Failed(message=f"{site.name}: {reason}", data=result)
    return result


def log_crawled(result: CrawlResult) -> None:
    """What a site's crawl gave, in the task's log: counts, then each error on its own line;
    Scrapy's stats at DEBUG (thirty lines that would fill a run's first screen of logs; the
    report has the counts)."""
    logger = get_run_logger()
    stats = result.stats
    logger.info("%s: %s pages fetched, %s articles extracted, %s errors", result.site,
                stats.get("response_received_count", 0), len(result.articles),
                len(result.errors))
    for error in result.errors:
        logger.warning("%s: %s", result.site, error)
    summary = {k: v for k, v in sorted(stats.items()) if not isinstance(v, list | dict)}
    logger.debug("%s: Scrapy stats:\n%s", result.site,
                 pprint.pformat(summary, sort_dicts=False))


class _CrawlLinesToTaskLog(logging.Filter):
    """Lines of the crawl runner (its child's last warnings, repeated from the crawl's log)
    go to the crawl task's log at DEBUG instead of the terminal: the task logs each of the
    crawl's errors itself, one line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        if TaskRunContext.get() is None:
            return True
        get_run_logger().debug("%s", record.getMessage())
        return False


_CRAWL_LINES = _CrawlLinesToTaskLog()


def crawl_lines_to_task_log() -> None:
    """Send the crawl runner's lines to the running task's log (see above), once."""
    runner = logging.getLogger(crawl_site.__module__)
    if _CRAWL_LINES not in runner.filters:
        runner.addFilter(_CRAWL_LINES)


class ProgressReport:
    """Shows a crawl's progress in the Prefect UI (a progress artifact) and in the task log."""

    LOG_EVERY_S = 30.0

    def __init__(self, site: str) -> None:
        self.site = site
        self.artifact_id: UUID | None = None
        self.logged = time.monotonic()

    def __call__(self, progress: CrawlProgress) -> None:
        description = (f"{self.site}: {progress.pages} of {progress.requests} pages fetched, "
                       f"{progress.articles} articles")
        if self.artifact_id is None:
            # No key: it shows on the task and its run, not on the Artifacts page, which
            # keeps the artifacts that build a history across runs.
            self.artifact_id = create_progress_artifact(progress.percent, description=description)
        else:
            update_progress_artifact(self.artifact_id, progress.percent, description=description)
        if time.monotonic() - self.logged >= self.LOG_EVERY_S:
            get_run_logger().info(description)
            self.logged = time.monotonic()


def transient_database_error(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry only when the database was briefly unavailable (connection lost, busy, a
    serialization conflict), never for a bug or bad data, which would fail the same way again;
    a retry is said in one line of the run's log, and counted for the run's headline."""
    error = state.data
    if not isinstance(error, BaseException):
        error = state.result(raise_on_failure=False)
    if not isinstance(error, BaseException) or not database_unavailable(error):
        return False
    _note_database_retry(task_run.flow_run_id, task_run.name, database_reason(error))
    return True


# The steps of each flow run that met a transient database error and tried again, for the
# run's headline; the flow takes its own with `database_retries` when it ends.
_RETRIED: dict[str, list[str]] = defaultdict(list)
_RETRIED_LOCK = threading.Lock()


def _note_database_retry(flow_run_id: object, step: str, reason: str) -> None:
    get_run_logger().warning("%s: the database was unavailable (%s); trying again", step, reason)
    with _RETRIED_LOCK:
        _RETRIED[str(flow_run_id)].append(step)


def database_retries(flow_run_id: object) -> tuple[str, ...]:
    """The steps of a flow run that tried again after a transient database error, each once,
    in order; they are forgotten here."""
    with _RETRIED_LOCK:
        steps = _RETRIED.pop(str(flow_run_id), [])
    return tuple(dict.fromkeys(steps))


# The database steps retry a transient error a few times, backing off: 5 s, 10 s, 20 s (±30%).
DATABASE_RETRIES = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=5),
    "retry_jitter_factor": 0.3,
    "retry_condition_fn": transient_database_error,
}


@task(name="store", task_run_name="store-{result.site}", cache_policy=NO_CACHE,
      **DATABASE_RETRIES)
def store(result: CrawlResult, config: Config) -> SiteOutcome:
    """Save a crawl's articles (one canonical URL is one article) and record the crawl run."""
    with session_factory(config.database).begin() as session:
        outcome = save_crawl(session, result, config, datetime.now(UTC))
    log_stored(outcome)
    return outcome


def save_crawl(session: Session, result: CrawlResult, config: Config, now: datetime
               ) -> SiteOutcome:
    """Save one crawl's articles and record its crawl run, in ``session``'s transaction."""
    saved = save_articles(session, result.articles, window=config.stories.lookup_window)
    check = SiteCheck.from_crawl(result)
    record_crawl_run(
        session,
        site=result.site,
        started=_stat_time(result.stats.get("start_time")) or now,
        finished=_stat_time(result.stats.get("finish_time")) or now,
        pages=int(result.stats.get("response_received_count", 0)),
        articles_found=len(result.articles),
        articles_new=sum(1 for s in saved if s.status == "new"),
        articles_updated=sum(1 for s in saved if s.status == "updated"),
        failed=result.failed,
        errors=list(result.errors),
        check=check,
    )
    return SiteOutcome(
        site=result.site,
        pages=int(result.stats.get("response_received_count", 0)),
        found=len(result.articles),
        saved=tuple(saved),
        failed=result.failed,
        errors=result.errors,
        check=check,
        refused=int(result.stats.get(REFUSED_COUNT_KEY, 0)),
        refused_urls=tuple(result.stats.get(REFUSED_URLS_KEY) or ()),
    )


def log_stored(outcome: SiteOutcome) -> None:
    """One line in the task's log: what a site's crawl added to the store."""
    saved = outcome.saved
    copies = sum(1 for s in saved if s.copy_of is not None)
    get_run_logger().info(
        "%s: %d new (%s of stored stories), %s",
        outcome.site, outcome.new, counted(copies, "copy", "copies"),
        counted(outcome.updated, "updated article"),
    )


@task(name="match", task_run_name="match-watches", cache_policy=NO_CACHE,
      **DATABASE_RETRIES)
def match(config: Config) -> list[NewMatch]:
    """Match the watches against the articles stored or edited since they were last matched
    (this run's, and any a run that died before matching left); record each new (watch,
    story) once."""
    watches = {w.name: w.query for w in config.watches}
    channels = {w.name: w.notify for w in config.watches}
    with session_factory(config.database).begin() as session:
        recorded = match_pending(session, watches, channels)
        ids = {new.article_id for new in recorded}
        headlines = dict(session.execute(
            select(Article.id, Article.title).where(Article.id.in_(ids))).tuples().all())
    logger = get_run_logger()
    for new in recorded:
        logger.info("%s matched \u201c%s\u201d (story %d)", new.watch,
                    one_line(headlines.get(new.article_id, "")), new.story_id)
    return recorded


@task(name="deliver", task_run_name="deliver-alerts", cache_policy=NO_CACHE,
      **DATABASE_RETRIES)
def deliver(config: Config) -> DispatchReport:
    """Send one digest per watch and channel for every due delivery; failures stay queued."""
    report = dispatch_due(
        session_factory(config.database),
        config.channels,
        schedules={w.name: w.schedule for w in config.watches},
        watches=config.watch_infos(),
        expire_after=config.alerts.expiry,
    )
    logger = get_run_logger()
    for reason in report.database_retries:  # recording what was sent, tried again at once
        _note_database_retry(current_flow_run.id, current_task_run.name, reason)
    for outcome in report.sent:
        logger.info("%s → %s: sent %s", outcome.watch, outcome.channel, outcome.what)
    for outcome in report.failed:
        logger.warning("%s → %s: not sent: %s", outcome.watch, outcome.channel, outcome.error)
    for outcome in report.expiries:
        logger.warning(
            "%s → %s: %s expired unsent (last error: %s)",
            outcome.watch, outcome.channel, outcome.what, outcome.error,
        )
    if report.waiting:
        logger.info("%d deliveries wait for their watch's delivery time", report.waiting)
    return report


@task(name="check-health", task_run_name="check-site-health", cache_policy=NO_CACHE,
      **DATABASE_RETRIES)
def check_health(sites: list[str], config: Config) -> list[HealthChange]:
    """Judge each site by its latest runs; say "looks broken" or "recovered" once per episode.

    The message is queued in the outbox with the change, and the deliver step sends it."""
    logger = get_run_logger()
    changes = []
    for site in sites:
        with session_factory(config.database).begin() as session:
            change = pending_change(session, site, after=config.health.after)
            if change is None:
                continue
            record_change(session, change, channel=config.health.channel)
        log = logger.warning if change.kind == "broken" else logger.info
        log("%s: %s", change.title, change.problem)
        changes.append(change)
    return changes


def _stat_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
