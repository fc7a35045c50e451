"""What a run did, as Prefect artifacts: a markdown report and a table of the new matches.

The report has one section per concern: sites (pages fetched, articles found, new and updated,
extraction, health, errors), new stories per watch with their links, and deliveries (sent,
failed, still queued). A watch that matched something in the run also gets a table of its new
stories, under a key of its own (``new-matches-WATCH``): the Artifacts page of the UI then
keeps each watch's matches as one history, which runs that matched nothing leave alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy import func, select

from alerts.dispatch import DispatchReport
from alerts.safetext import escape_gfm, safe_url
from flows.config import Config
from flows.tasks import SiteOutcome
from flows.wording import counted
from store.db import session_factory
from store.health import HealthChange, SiteCheck, bad_streak, broken_sites
from store.models import Article, Delivery, DeliveryKind, DeliveryState
from store.outbox import NewMatch

_ERRORS_SHOWN = 3
_SITES_NAMED = 5  # failed sites named in the first line of a run's state message


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """What a run did, for the terminal and the Prefect report."""

    scope: str  # "courier", "courier-ledger", "all-sites": what the run covered
    sites: tuple[SiteOutcome, ...]
    matches: tuple[NewMatch, ...]
    deliveries: DispatchReport
    health: tuple[HealthChange, ...] = field(default=())
    database_retries: tuple[str, ...] = field(default=())  # steps that had to try again

    @property
    def failures(self) -> list[str]:
        """What failed, a line each: first how many sites failed, then each failed site (when
        more than one did) and each channel that failed."""
        failed = [s for s in self.sites if s.failed]
        lines = []
        if len(failed) == 1:
            lines.append(f"1 of {len(self.sites)} sites failed: {_site_failure(failed[0])}")
        elif failed:
            names = [s.site for s in failed[:_SITES_NAMED]]
            if len(failed) > _SITES_NAMED:
                names.append(f"and {len(failed) - _SITES_NAMED} more")
            lines.append(f"{len(failed)} of {len(self.sites)} sites failed: {', '.join(names)}")
            lines += [f"site {_site_failure(s)}" for s in failed]
        lines += [f"channel {c.channel} ({c.about}): {c.error}" for c in self.deliveries.failed]
        return lines

    @property
    def headline(self) -> str:
        new = sum(s.new for s in self.sites)
        sent = sum(c.stories for c in self.deliveries.sent if c.kind == DeliveryKind.ALERT)
        line = (f"{counted(new, 'new article')}, "
                f"{counted(len(self.matches), 'new match', 'new matches')}, "
                f"{counted(sent, 'alert')} sent")
        for change in self.health:
            said = "looks broken" if change.kind == "broken" else "recovered"
            line += f"; site {change.site} {said}"
        refused = sum(s.refused for s in self.sites)
        if refused:
            line += f"; {refused} requests to private addresses refused"
        if self.database_retries:
            line += (f"; the database was unavailable for a moment, and "
                     f"{', '.join(self.database_retries)} tried again")
        return line


def _site_failure(site: SiteOutcome) -> str:
    return f"{site.site}: {site.errors[0] if site.errors else 'crawl failed'}"


def report_key(scope: str) -> str:
    """The markdown report's artifact key for a run scope (lowercase letters, digits, dashes)."""
    return "newswatch-report-" + (_slug(scope) or "run")


def matches_key(watch: str) -> str:
    """The artifact key of a watch's new matches (lowercase letters, digits, dashes)."""
    return "new-matches-" + (_slug(watch) or "watch")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@task(name="report", task_run_name="publish-report", cache_policy=NO_CACHE)
def publish_report(summary: RunSummary, config: Config) -> str:
    """Publish the run report (markdown), and a table of new matches for each watch that
    matched something, as Prefect artifacts."""
    factory = session_factory(config.database)
    with factory() as session:
        stories = _story_rows(session, summary.matches)
        sent_to = _deliveries_of(session, summary.matches)
        queued = _queued_deliveries(session)
        streaks = {
            s.site: len(bad_streak(session, s.site, limit=config.health.after))
            for s in summary.sites
        }
        broken = {h.site: h for h in broken_sites(session)}
    lines = [f"# Newswatch run: {_cell(summary.scope)}", "", _cell(summary.headline)]
    if summary.sites:  # a deliveries-only run has neither sites nor matches
        lines += _sites_section(summary, streaks, broken, config.health.after)
        lines += _matches_section(stories)
    lines += _deliveries_section(summary.deliveries, queued)
    markdown = "\n".join(lines)
    create_markdown_artifact(
        key=report_key(summary.scope), markdown=markdown, description=summary.headline
    )
    by_watch: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in stories:
        by_watch[row["watch"]].append(row)
    for watch, rows in by_watch.items():
        create_table_artifact(
            key=matches_key(watch),
            table=[_table_row(row, sent_to) for row in rows],
            description=(f"{_cell(watch)}: {counted(len(rows), 'new story', 'new stories')} "
                         f"in run {_cell(summary.scope)}"),
        )
    get_run_logger().info(summary.headline)
    return markdown


def _story_rows(session, matches: tuple[NewMatch, ...]) -> list[dict[str, str]]:
    ids = {m.article_id for m in matches}
    articles = {
        a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))
    } if ids else {}
    story_ids = {m.story_id for m in matches}
    carried_by: dict[int, list[str]] = defaultdict(list)  # story → its sites, first copy first
    if story_ids:
        for story_id, site in session.execute(
            select(Article.story_id, Article.site)
            .where(Article.story_id.in_(story_ids))
            .order_by(Article.fetched, Article.id)
        ):
            if site not in carried_by[story_id]:
                carried_by[story_id].append(site)
    rows = []
    for m in matches:
        article = articles.get(m.article_id)
        when = article and (article.published or article.fetched)
        rows.append(
            {
                "watch": m.watch,
                "headline": article.title if article else f"story {m.story_id}",
                "site": article.site if article else "",
                "sites": ", ".join(carried_by.get(m.story_id, ())),
                "published": f"{when:%Y-%m-%d %H:%M} UTC" if when else "",
                "url": article.url if article else "",
                "story": str(m.story_id),
            }
        )
    return rows


def _deliveries_of(session, matches: tuple[NewMatch, ...]) -> dict[tuple[str, str], str]:
    """Where each (watch, story) was sent and how it went: ``hook: sent; mail: failed (…)``."""
    stories = {m.story_id for m in matches}
    if not stories:
        return {}
    said: dict[tuple[str, str], list[str]] = defaultdict(list)
    for delivery in session.scalars(
        select(Delivery)
        .where(Delivery.kind == DeliveryKind.ALERT, Delivery.story_id.in_(stories))
        .order_by(Delivery.id)
    ):
        state = delivery.state
        if delivery.state == DeliveryState.FAILED and delivery.last_error:
            state += f" ({delivery.last_error})"
        said[(delivery.watch, str(delivery.story_id))].append(f"{delivery.channel}: {state}")
    return {key: "; ".join(lines) for key, lines in said.items()}


def _queued_deliveries(session) -> dict[str, int]:
    counts = session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.state.in_(DeliveryState.RETRYABLE))
        .group_by(Delivery.state)
    )
    return {state: count for state, count in counts}


def _sites_section(summary: RunSummary, streaks, broken, after: int) -> list[str]:
    lines = [
        "",
        "## Sites",
        "",
        "| site | pages | articles | new | updated | with body | with date | health | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for s in summary.sites:
        check = s.check or SiteCheck(site=s.site, failed=s.failed)
        errors = "; ".join(_cell(e) for e in s.errors[:_ERRORS_SHOWN]) or "none"
        if len(s.errors) > _ERRORS_SHOWN:
            errors += f"; … {len(s.errors) - _ERRORS_SHOWN} more"
        lines.append(
            f"| {_cell(s.site)} | {s.pages} | {s.found} | {s.new} | {s.updated} "
            f"| {_share(check.with_body, check.pages_read)} "
            f"| {_share(check.with_date, check.with_body)} "
            f"| {_health(check, streaks.get(s.site, 0), broken.get(s.site), after)} | {errors} |"
        )
    lines += _refused_section(summary.sites)
    changes = [*summary.health]
    others = [h for site, h in broken.items() if site not in {s.site for s in summary.sites}]
    if changes or others:
        lines += ["", "### Site health", ""]
        lines += [f"- **{_cell(c.title)}**: {_cell(c.body)}" for c in changes]
        lines += [
            f"- {_cell(h.site)} looks broken since {h.broken_since:%Y-%m-%d %H:%M} UTC: "
            f"{_cell(h.problem)}"
            for h in others
            if h.broken_since
        ]
    return lines


def _refused_section(sites: tuple[SiteOutcome, ...]) -> list[str]:
    """The requests each site's crawl did not send because they pointed inside the network."""
    refusing = [s for s in sites if s.refused]
    if not refusing:
        return []
    lines = ["", "### Refused requests", ""]
    for s in refusing:
        shown = "; ".join(_cell(url) for url in s.refused_urls[:_ERRORS_SHOWN])
        more = s.refused - min(len(s.refused_urls), _ERRORS_SHOWN)
        if more > 0:
            shown += f"; … {more} more"
        plural = "request" if s.refused == 1 else "requests"
        lines.append(f"- {_cell(s.site)}: refused {s.refused} {plural} to private addresses: "
                     f"{shown}")
    return lines


def _health(check: SiteCheck, streak: int, broken, after: int) -> str:
    problem = check.problem
    if problem is None:
        return "ok"
    if check.failed:
        problem = "the crawl failed"  # why is in the errors column, said once
    if broken is not None and broken.broken_since:
        return f"**broken** since {broken.broken_since:%Y-%m-%d %H:%M} UTC: {_cell(problem)}"
    return f"bad run {min(streak, after)}/{after}: {_cell(problem)}"


def _matches_section(stories: list[dict[str, str]]) -> list[str]:
    lines = ["", "## New stories by watch", ""]
    if not stories:
        return [*lines, "No new matches."]
    by_watch: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in stories:
        by_watch[row["watch"]].append(row)
    for watch, rows in by_watch.items():
        lines += [f"### {_cell(watch)}", ""]
        for row in rows:
            headline, url = _cell(row["headline"]), safe_url(row["url"])
            link = f"[{headline}](<{url}>)" if url else headline
            lines.append(f"- {link}: {_cell(row['site'])}, {row['published']}")
        lines.append("")
    return lines


def _deliveries_section(report: DispatchReport, queued: dict[str, int]) -> list[str]:
    digests = [c for c in report.sent if c.kind == DeliveryKind.ALERT]
    sent = sum(c.stories for c in digests)
    failed = sum(c.stories for c in report.failed if c.kind == DeliveryKind.ALERT)
    pending, retrying = queued.get(DeliveryState.PENDING, 0), queued.get(DeliveryState.FAILED, 0)
    lines = ["", "## Deliveries", "",
             f"- sent: {counted(sent, 'story', 'stories')} in {counted(len(digests), 'digest')}"]
    lines.append(f"- failed: {counted(failed, 'story', 'stories')} "
                 "(they stay in the outbox and are retried)")
    lines.append(f"- pending: {pending} not due yet, {retrying} waiting to retry")
    if report.expired:
        lines.append(f"- expired unsent: {report.expired}")
    lines.append("")
    for c in report.sent:
        lines.append(f"- {_cell(c.watch)} → {_cell(c.channel)}: sent {c.what}")
    for c in report.failed:
        lines.append(f"- {_cell(c.watch)} → {_cell(c.channel)}: **not sent** {c.what} "
                     f"({_cell(c.error)}); will retry")
    return lines


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "–"


def _cell(text: str | None) -> str:
    """Text from the web, a server or the config, shown as itself in the report's Markdown."""
    return escape_gfm(text or "")


def _table_row(row: dict[str, str], sent_to: dict[tuple[str, str], str]) -> dict[str, str]:
    """A row of a watch's matches table: the story by its headline, the sites that carried
    it, its link and where it was sent. Prefect's UI renders each cell as Markdown too."""
    return {
        "headline": _cell(row["headline"]),
        "sites": _cell(row["sites"]),
        "published": _cell(row["published"]),
        "url": safe_url(row["url"]) or "",
        "sent to": _cell(sent_to.get((row["watch"], row["story"])) or "no channel"),
    }
