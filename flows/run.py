"""The Prefect flow ``newswatch-run``: crawl every site, store, match, deliver, report."""

from __future__ import annotations

import logging

from prefect import flow
from prefect.exceptions import FailedRun
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import allow_failure, quote
from sqlalchemy.exc import SQLAlchemyError

from flows.config import Config, SiteConfig, load_config
from flows.report import RunSummary, publish_report
from flows.shards import Shard, crawl_shard, plan_shards, store_shard
from flows.tasks import (
    SiteOutcome,
    check_health,
    crawl,
    database_retries,
    deliver,
    match,
    store,
)
from store.db import database_problem, session_factory
from store.items import CrawlResult

__all__ = ["RunSummary", "newswatch_deliver", "newswatch_run", "run_scope"]

_NAMED_SITES = 3  # a run over more sites than this is named after the first ones and a count


def run_scope(sites: list[str] | None) -> str:
    """What a run covers, for its name and its report: ``courier``, ``courier-ledger``, …"""
    if not sites:
        return "all-sites"
    scope = "-".join(sites[:_NAMED_SITES])
    if len(sites) > _NAMED_SITES:
        scope += f"-and-{len(sites) - _NAMED_SITES}-more"
    return scope


class _ChosenFailure(logging.Filter):
    """Drops what Prefect's engine logs for a Failed state a flow or task returned itself: for
    a flow, a traceback ("Engine execution exited with unexpected exception … FailedRun"); for
    a task, "Task run failed with state: …" and the whole state, its result included (a
    crawl's stats). The state's message already says what failed, in "Finished in state
    Failed(…)"; an exception a flow or task raised keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        said = record.getMessage()
        if isinstance(error, FailedRun) and said.startswith("Engine"):
            return False
        return not said.startswith("Task run failed with state: ")


_CHOSEN_FAILURE = _ChosenFailure()


def _quiet_chosen_failures() -> None:
    """Install the filter on Prefect's flow and task run loggers of this process, once."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if _CHOSEN_FAILURE not in logger.filters:
            logger.addFilter(_CHOSEN_FAILURE)


def _run_name() -> str:
    return "run-" + run_scope(flow_run.parameters.get("sites"))


@flow(name="newswatch-run", flow_run_name=_run_name, log_prints=True)
def newswatch_run(config_path: str | None = None, sites: list[str] | None = None) -> State:
    """Crawl news sites, store their new articles, and alert the watches that match.

    Each site is crawled in its own process, or a fleet's in shards of many sites a process
    (`flows.shards`); one broken site fails alone. The run's report
    (per site counts and health, new stories per watch, deliveries) is an artifact of the run.
    `config_path` defaults to $NEWSWATCH_CONFIG, else newswatch.yaml; `sites` to every site.
    """
    _quiet_chosen_failures()
    config = load_config(config_path)
    selected = [config.site(name) for name in sites] if sites else list(config.sites)
    try:
        return _run(config, selected, sites)
    except SQLAlchemyError as exc:  # unreachable, locked or failing after the retries
        return Failed(message=database_problem(config.database, exc))


def _run(config: Config, selected: list[SiteConfig], sites: list[str] | None) -> State:
    """The steps of a run, in order: crawl → store → check health → match → deliver → report."""
    session_factory(config.database)  # migrate once, before crawl processes open the database

    # Crawl and store: each site in its own process, or a fleet in shards of many sites a
    # process; one broken site fails alone either way.
    shards = plan_shards(selected, shard_from=config.crawl.shard_from,
                         shard_size=config.crawl.shard_size)
    outcomes = _crawl_and_store(selected, config) if shards is None else \
        _crawl_and_store_shards(shards, config)

    # Site health: a site bad for several runs in a row gets one message, and one on recovery.
    changes = check_health([o.site for o in outcomes], config)

    # Match what is stored and not matched yet, then deliver everything due (this run's
    # matches and earlier failures).
    matches = match(config)
    report = deliver(config)

    summary = RunSummary(
        scope=run_scope(sites),
        sites=tuple(outcomes),
        matches=tuple(matches),
        deliveries=report,
        health=tuple(changes),
        database_retries=database_retries(flow_run.id),
    )
    publish_report(summary, config)
    if summary.failures:
        return Failed(message="\n".join(summary.failures))
    return Completed(message=summary.headline, data=summary)


def _crawl_and_store(selected: list[SiteConfig], config: Config) -> list[SiteOutcome]:
    """Crawl every site at once, each in its own child process (one broken site fails alone),
    and store each as soon as its crawl ends."""
    crawls = {site.name: crawl.submit(site, config) for site in selected}

    # Store: new and edited articles, one crawl run row per site (a crashed crawl too), each
    # site as soon as its crawl ends, while the others still crawl.
    site_of = {future.task_run_id: name for name, future in crawls.items()}
    stored = {}
    for future in as_completed(list(crawls.values())):
        name = site_of[future.task_run_id]
        future.wait()  # done, but its final state may not be read back yet
        # A failed site's task ends Failed with its CrawlResult; a task that died, its error.
        result = future.result(raise_on_failure=False)
        if not isinstance(result, CrawlResult):
            error = f"crawl crashed: {future.state.message or 'unknown error'}"
            result = CrawlResult(site=name, failed=True, errors=(error,))
        # quote: Prefect would walk every article of the result looking for futures; the
        # crawl it came from, crashed or not, is named in wait_for instead, for the run's graph.
        stored[name] = store(quote(result), config, wait_for=[allow_failure(future)])
    return [stored[name] for name in crawls]


def _crawl_and_store_shards(shards: list[Shard], config: Config) -> list[SiteOutcome]:
    """Crawl the shards at once, each in one child process, and store each as soon as its
    crawl ends; every site has its outcome, in config order."""
    crawls = {shard.name: crawl_shard.submit(shard, config) for shard in shards}
    shard_of = {crawls[shard.name].task_run_id: shard for shard in shards}
    stored = {}
    for future in as_completed(list(crawls.values())):
        shard = shard_of[future.task_run_id]
        future.wait()
        results = future.result(raise_on_failure=False)
        if not isinstance(results, list):  # the task died: each of its sites failed with it
            error = f"crawl crashed: {future.state.message or 'unknown error'}"
            results = [CrawlResult(site=site.name, failed=True, errors=(error,))
                       for site in shard.sites]
        stored[shard.name] = store_shard(shard, quote(results), config,
                                         wait_for=[allow_failure(future)])
    return [outcome for shard in shards for outcome in stored[shard.name]]


@flow(name="newswatch-deliver", flow_run_name="deliver-digests", log_prints=True)
def newswatch_deliver(config_path: str | None = None) -> State:
    """Send the digests that are due: daily and weekly digests at their slot, and deliveries
    that failed before and are due for another try. Site runs send instant alerts themselves.
    """
    _quiet_chosen_failures()
    config = load_config(config_path)
    try:
        session_factory(config.database)
        summary = RunSummary(scope="deliveries", sites=(), matches=(),
                             deliveries=deliver(config),
                             database_retries=database_retries(flow_run.id))
    except SQLAlchemyError as exc:
        return Failed(message=database_problem(config.database, exc))
    publish_report(summary, config)
    if summary.failures:
        return Failed(message="\n".join(summary.failures))
    return Completed(message=summary.headline, data=summary)
