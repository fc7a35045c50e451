"""``newswatch serve``: every site on its own schedule, as Prefect deployments of one process.

Each site becomes a deployment ``newswatch-run/SITE`` running the flow for that site only, on
the site's ``every:`` or ``cron:`` (every 15 minutes by default; cron in UTC). A deployment
runs one flow run at a time: a run that would start while the previous one is still crawling
is cancelled (``CANCEL_NEW``), so a slow crawl never overlaps the next. Watches with daily or
weekly digests add a deployment ``newswatch-deliver/digests`` scheduled at their slots.

Deployments are upserted on start, so a restart with a changed config changes the schedules;
deployments this command made for sites no longer in the config are deleted. Every site is
polled once at start, then on its schedule. Slots missed while the process was down are
skipped: runs still waiting past their time when it starts are deleted rather than started
late or cancelled by the one-at-a-time limit. Schedules are not paused when it stops
(``pause_on_shutdown=False``): other processes may serve the same deployments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.config import DEFAULT_EVERY, Config, SiteConfig, parse_duration
from flows.run import newswatch_deliver, newswatch_run
from flows.wording import counted

__all__ = [
    "SERVE_TAG",
    "deployments",
    "digest_slots",
    "poll_now",
    "prune_deployments",
    "serve_config",
    "site_schedule",
    "skip_missed_runs",
]

#: Every deployment ``newswatch serve`` makes carries this tag; it deletes only those.
SERVE_TAG = "newswatch-serve"
DIGESTS = "digests"

_ONE_AT_A_TIME = ConcurrencyLimitConfig(
    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
)


def site_schedule(site: SiteConfig) -> dict[str, Any]:
    """``to_deployment`` keywords for the site's schedule: ``interval`` or ``cron``."""
    if site.cron:
        return {"cron": site.cron}
    return {"interval": parse_duration(site.every or DEFAULT_EVERY)}


def deployments(config: Config) -> list[RunnerDeployment]:
    """One deployment per site, plus one for scheduled digests when a watch has them."""
    config_path = str(Path(config.source).resolve())
    made = []
    for site in config.sites:
        when = f"cron {site.cron} UTC" if site.cron else f"every {site.every or DEFAULT_EVERY}"
        made.append(
            newswatch_run.to_deployment(
                name=site.name,
                description=f"Crawl {site.name} ({when}), store its new articles, alert watches.",
                parameters={"config_path": config_path, "sites": [site.name]},
                concurrency_limit=_ONE_AT_A_TIME,
                tags=[SERVE_TAG, f"site-{site.name}"],
                entrypoint_type=EntrypointType.MODULE_PATH,
                **site_schedule(site),
            )
        )
    slots = digest_slots(config)
    if slots:
        made.append(
            newswatch_deliver.to_deployment(
                name=DIGESTS,
                parameters={"config_path": config_path},
                schedules=slots,
                concurrency_limit=_ONE_AT_A_TIME,
                tags=[SERVE_TAG],
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return made


def digest_slots(config: Config) -> list[Any]:
    """A cron schedule per distinct daily or weekly digest slot of the watches."""
    crons = {}
    for watch in config.watches:
        slot = watch.schedule
        if slot.at is None:
            continue  # instant: the site runs send it
        day = "*" if slot.weekday is None else str((slot.weekday + 1) % 7)  # cron: 0 = Sunday
        expression = f"{slot.at.minute} {slot.at.hour} * * {day}"
        crons[(expression, slot.zone or "UTC")] = None
    return [Cron(expression, timezone=zone) for expression, zone in crons]


def prune_deployments(keep: list[RunnerDeployment]) -> list[str]:
    """Delete deployments this command made earlier that the config no longer has."""
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags

    wanted = {(d.flow_name, d.name) for d in keep}
    deleted = []
    with get_client(sync_client=True) as client:
        served = client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[SERVE_TAG]))
        )
        flow_names = {f.id: f.name for f in client.read_flows()} if served else {}
        for deployment in served:
            name = (flow_names.get(deployment.flow_id), deployment.name)
            if name not in wanted:
                client.delete_deployment(deployment.id)
                deleted.append("/".join(str(part) for part in name))
    return deleted


def skip_missed_runs(deployment_ids: list[UUID]) -> int:
    """Delete the deployments' runs still waiting past their scheduled time (Scheduled or
    Late, never started): slots missed while nothing served them. Returns how many."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateName,
    )

    if not deployment_ids:
        return 0
    with get_client(sync_client=True) as client:
        missed = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=deployment_ids),
            state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Scheduled", "Late"])),
            expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC)),
        ))
        for run in missed:
            client.delete_flow_run(run.id)
    return len(missed)


def poll_now(site_deployments: dict[str, UUID]) -> None:
    """One run of each site now, named like every run of the site, before its schedule's."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        for site, deployment_id in site_deployments.items():
            client.create_flow_run_from_deployment(deployment_id, name=f"run-{site}")


def serve_config(config: Config) -> None:
    """Register the deployments, drop stale ones, skip missed slots, poll every site once, and
    run scheduled flow runs until SIGTERM."""
    made = deployments(config)
    for name in prune_deployments(made):
        print(f"newswatch: removed deployment {name} (no longer in {config.source})")
    ids = {deployment.name: deployment.apply() for deployment in made}
    skipped = skip_missed_runs(list(ids.values()))
    if skipped:
        print(f"newswatch: skipped {counted(skipped, 'run')} missed while not serving")
    poll_now({site.name: ids[site.name] for site in config.sites})
    # Each flow run gets its own process. Not paused on shutdown: another process serving the
    # same deployments would stop getting runs; what falls due meanwhile is skipped at start.
    serve(*made, pause_on_shutdown=False)

