"""The Prefect flow ``newswatch-run``: crawl every site, store, match, deliver, report."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from alerts.dispatch import DispatchReport
from flows.config import Config, load_config
from flows.tasks import SiteOutcome, crawl, deliver, match, store
from store.db import session_factory
from store.outbox import NewMatch


@dataclass(frozen=True, kw_only=True)
class RunSummary:
    """What a run did, for the terminal and the Prefect report."""

    sites: tuple[SiteOutcome, ...]
    matches: tuple[NewMatch, ...]
    deliveries: DispatchReport

    @property
    def failures(self) -> list[str]:
        lines = [
            f"site {s.site}: {s.errors[0] if s.errors else 'crawl failed'}"
            for s in self.sites
            if s.failed
        ]
        lines += [
            f"channel {c.channel} (watch {c.watch}): {c.error}" for c in self.deliveries.failed
        ]
        return lines


@flow(name="newswatch-run", log_prints=True)
def newswatch_run(config_path: str | None = None, sites: list[str] | None = None) -> State:
    """Crawl the configured news sites, store new articles, and alert the watches that match."""
    config = load_config(config_path)
    selected = [config.site(name) for name in sites] if sites else list(config.sites)
    session_factory(config.database)  # migrate once, before crawl processes open the database

    # Crawl: every site at once, each in its own child process; one broken site fails alone.
    crawls = {site.name: crawl.submit(site, config) for site in selected}

    # Store: new and edited articles, one crawl run row per site.
    outcomes = []
    for name, future in crawls.items():
        state = future.wait() or future.state
        if state.is_completed():
            outcomes.append(store(future.result(), config))
        else:
            error = f"crawl crashed: {state.message or 'unknown error'}"
            outcomes.append(SiteOutcome(site=name, failed=True, errors=(error,)))

    # Match, then deliver everything due (this run's matches and earlier failures).
    saved = [s for outcome in outcomes for s in outcome.saved]
    matches = match(saved, config)
    report = deliver(config)

    summary = RunSummary(sites=tuple(outcomes), matches=tuple(matches), deliveries=report)
    publish_report(summary, config)
    if summary.failures:
        return Failed(message="\n".join(summary.failures), data=summary)
    return Completed(message=_headline(summary), data=summary)


def _headline(summary: RunSummary) -> str:
    new = sum(s.new for s in summary.sites)
    sent = sum(c.stories for c in summary.deliveries.sent)
    return f"{new} new articles, {len(summary.matches)} new matches, {sent} alerts sent"


def publish_report(summary: RunSummary, config: Config) -> None:
    """A markdown artifact per run: sites, matches and deliveries."""
    lines = [
        "# Newswatch run",
        "",
        "## Sites",
        "",
        "| site | pages | articles | new | updated | status |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in summary.sites:
        status = "failed: " + "; ".join(s.errors[:3]) if s.failed else "ok"
        lines.append(f"| {s.site} | {s.pages} | {s.found} | {s.new} | {s.updated} | {status} |")
    lines += ["", "## New matches", ""]
    lines += [f"- {m.watch}: story {m.story_id}" for m in summary.matches] or ["- none"]
    lines += ["", "## Deliveries", ""]
    for c in summary.deliveries.sent:
        lines.append(f"- {c.watch} → {c.channel}: sent {c.stories} stories")
    for c in summary.deliveries.failed:
        lines.append(f"- {c.watch} → {c.channel}: **not sent** ({c.error}); will retry")
    if summary.deliveries.expired:
        lines.append(f"- {summary.deliveries.expired} deliveries expired unsent")
    if not (summary.deliveries.sent or summary.deliveries.failed):
        lines.append("- nothing to send")
    create_markdown_artifact(
        key="newswatch-run-report", markdown="\n".join(lines), description=_headline(summary)
    )
    get_run_logger().info(_headline(summary))
