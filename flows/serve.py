"""``newswatch serve``: every site on its own schedule, as Prefect deployments of one process.

Each site becomes a deployment ``newswatch-run/SITE`` running the flow for that site only, on
the site's ``every:`` or ``cron:`` (every 15 minutes by default; cron in UTC). A deployment
runs one flow run at a time: a run that would start while the previous one is still crawling
is cancelled (``CANCEL_NEW``), so a slow crawl never overlaps the next and a backlog never
builds up while the process was down. Watches with daily or weekly digests add a deployment
``newswatch-deliver/digests`` scheduled at their slots.

Deployments are upserted on start, so a restart with a changed config changes the schedules;
deployments this command made for sites no longer in the config are deleted. Schedules are not
paused on shutdown (``pause_on_shutdown=False``): the process is expected to restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.config import DEFAULT_EVERY, Config, SiteConfig, parse_duration
from flows.run import newswatch_deliver, newswatch_run

__all__ = [
    "SERVE_TAG",
    "deployments",
    "digest_slots",
    "prune_deployments",
    "serve_config",
    "site_schedule",
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


def serve_config(config: Config) -> None:
    """Register the deployments, drop stale ones, and run scheduled flow runs until SIGTERM."""
    made = deployments(config)
    for name in prune_deployments(made):
        print(f"newswatch: removed deployment {name} (no longer in {config.source})")
    # Each flow run gets its own process; schedules stay active across restarts.
    serve(*made, pause_on_shutdown=False)

