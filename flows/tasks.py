"""The steps of a run, each a named Prefect task: crawl → store → match → deliver → report."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from alerts.digest import Digest, DigestItem
from alerts.matching import Document, Matcher
from flows.config import Config, SiteConfig, parse_duration
from spiders.items import CrawlResult
from spiders.runner import crawl_site
from store.articles import SavedArticle, save_articles
from store.crawlruns import record_crawl_run
from store.db import session_factory
from store.models import Article, Delivery
from store.outbox import (
    NewMatch,
    due_deliveries,
    expire_deliveries,
    mark_failed,
    mark_sent,
    record_match,
)


@dataclass(frozen=True, kw_only=True)
class SiteOutcome:
    """What one site's crawl and store step produced, for the report."""

    site: str
    pages: int = 0
    found: int = 0
    saved: tuple[SavedArticle, ...] = ()
    failed: bool = False
    errors: tuple[str, ...] = ()

    @property
    def new(self) -> int:
        return sum(1 for s in self.saved if s.status == "new")

    @property
    def updated(self) -> int:
        return sum(1 for s in self.saved if s.status == "updated")


@dataclass(frozen=True, kw_only=True)
class ChannelOutcome:
    """One digest sent (or not) to one channel for one watch."""

    watch: str
    channel: str
    stories: int
    ok: bool
    error: str | None = None


@dataclass(kw_only=True)
class DeliveryReport:
    sent: list[ChannelOutcome] = field(default_factory=list)
    failed: list[ChannelOutcome] = field(default_factory=list)
    expired: int = 0


@task(name="crawl", task_run_name="crawl-{site.name}", cache_policy=NO_CACHE)
def crawl(site: SiteConfig, config: Config) -> CrawlResult:
    """Crawl one site in a child Scrapy process; a broken site comes back failed, not raised."""
    logger = get_run_logger()
    with tempfile.TemporaryDirectory(prefix=f"newswatch-{site.name}-") as workdir:
        result = crawl_site(
            site.spec(),
            workdir=Path(workdir),
            database_url=config.database,
            settings=config.crawl.settings,
            timeout=parse_duration(config.crawl.timeout).total_seconds(),
        )
    stats = result.stats
    logger.info(
        "%s: %s pages fetched, %s articles extracted, %s errors",
        site.name,
        stats.get("response_received_count", 0),
        len(result.articles),
        len(result.errors),
    )
    for error in result.errors:
        logger.warning("%s: %s", site.name, error)
    return result


@task(name="store", task_run_name="store-{result.site}", cache_policy=NO_CACHE)
def store(result: CrawlResult, config: Config) -> SiteOutcome:
    """Save a crawl's articles (one canonical URL is one article) and record the crawl run."""
    now = datetime.now(UTC)
    with session_factory(config.database).begin() as session:
        saved = save_articles(session, result.articles)
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
        )
    outcome = SiteOutcome(
        site=result.site,
        pages=int(result.stats.get("response_received_count", 0)),
        found=len(result.articles),
        saved=tuple(saved),
        failed=result.failed,
        errors=result.errors,
    )
    get_run_logger().info(
        "%s: %d new, %d updated articles", result.site, outcome.new, outcome.updated
    )
    return outcome


@task(name="match", cache_policy=NO_CACHE)
def match(saved: list[SavedArticle], config: Config) -> list[NewMatch]:
    """Match the watches against new and updated articles; record each new (watch, story) once."""
    logger = get_run_logger()
    if not saved or not config.watches:
        return []
    matcher = Matcher({w.name: w.query for w in config.watches})
    channels = {w.name: w.notify for w in config.watches}
    recorded: list[NewMatch] = []
    with session_factory(config.database).begin() as session:
        ids = [s.article_id for s in saved]
        for article in session.scalars(select(Article).where(Article.id.in_(ids))):
            document = Document(
                title=article.title,
                text="\n\n".join(p for p in (article.standfirst, article.body) if p),
                site=article.site,
                url=article.canonical_url,
                language=article.language,
            )
            for found in matcher.match(document):
                new = NewMatch(
                    watch=found.watch,
                    story_id=article.story_id,
                    article_id=article.id,
                    snippet=found.snippet,
                    marks=found.marks,
                )
                if record_match(session, new, channels[found.watch]) is not None:
                    recorded.append(new)
                    logger.info("%s matched %r (%s)", found.watch, article.title, article.site)
    return recorded


@task(name="deliver", cache_policy=NO_CACHE)
def deliver(config: Config) -> DeliveryReport:
    """Send one digest per watch and channel for every due delivery; failures stay queued."""
    from alerts.deliver import send_digest

    logger = get_run_logger()
    report = DeliveryReport()
    with session_factory(config.database).begin() as session:
        report.expired = len(expire_deliveries(session))
        groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
        for delivery in due_deliveries(session):
            groups[(delivery.watch, delivery.channel)].append(delivery)
        for (watch, channel), deliveries in groups.items():
            url = config.channels.get(channel)
            if url is None:
                error = f"channel {channel!r} is not in the config any more"
                outcome_ok = False
            else:
                digest = Digest(watch=watch, items=tuple(_digest_item(d) for d in deliveries))
                outcome = send_digest(url, digest)
                outcome_ok, error = outcome.ok, outcome.error
            result = ChannelOutcome(
                watch=watch, channel=channel, stories=len(deliveries), ok=outcome_ok, error=error
            )
            if outcome_ok:
                mark_sent(deliveries)
                report.sent.append(result)
                logger.info("%s → %s: sent %d stories", watch, channel, len(deliveries))
            else:
                mark_failed(deliveries, error or "unknown error")
                report.failed.append(result)
                logger.warning("%s → %s: not sent: %s", watch, channel, error)
    return report


def _digest_item(delivery: Delivery) -> DigestItem:
    article = delivery.match.article
    also_on = tuple(
        dict.fromkeys(a.site for a in delivery.match.story.articles if a.site != article.site)
    )
    return DigestItem(
        headline=article.title,
        site=article.site,
        url=article.url,
        published=article.published or article.fetched,
        snippet=delivery.match.snippet,
        marks=tuple((int(a), int(b)) for a, b in delivery.match.marks),
        also_on=also_on,
    )


def _stat_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
