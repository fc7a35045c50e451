"""deploy/: prefect.yaml, docker-compose.yml and the systemd units name things that exist."""

from __future__ import annotations

import configparser
import importlib
import inspect
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect import Flow, get_client
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags

from flows.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def prefect_yaml() -> dict:
    return yaml.safe_load((DEPLOY / "prefect.yaml").read_text())


def flow_of(entrypoint: str) -> Flow:
    path, _, name = entrypoint.rpartition(":")
    assert (ROOT / path).is_file(), f"{path} does not exist"
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    found = getattr(module, name)
    assert isinstance(found, Flow), f"{entrypoint} is not a Prefect flow"
    return found


def test_prefect_yaml_has_a_deployment_per_site_on_the_process_pool():
    raw = prefect_yaml()
    model = PrefectYamlModel.model_validate(raw)  # Prefect's own reading of the file
    assert model.deployments, "no deployments"
    for deployment in model.deployments:
        flow = flow_of(deployment.entrypoint)
        assert deployment.work_pool.name == "newswatch"
        assert deployment.concurrency_limit.limit == 1
        assert deployment.concurrency_limit.collision_strategy == "CANCEL_NEW"
        assert deployment.schedules, f"{deployment.name} has no schedule"
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(deployment.parameters) <= accepted, deployment.parameters
    sites = [d for d in model.deployments if d.entrypoint.endswith(":newswatch_run")]
    assert [d.parameters["sites"] for d in sites] == [[d.name] for d in sites]


def test_docker_compose_runs_server_database_and_workers_of_the_pool():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "prefect-server", "deploy", "worker"} <= set(services)
    pool = PrefectYamlModel.model_validate(prefect_yaml()).deployments[0].work_pool.name
    worker = shlex.split(services["worker"]["command"])
    assert worker[:3] == ["prefect", "worker", "start"]
    assert worker[worker.index("--pool") + 1] == pool
    assert services["worker"]["environment"]["PREFECT_API_URL"].startswith("http://prefect-server:")
    assert "postgresql+asyncpg://" in (
        services["prefect-server"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    )
    setup = services["deploy"]["command"]
    assert f"work-pool create {pool} --type process" in setup
    assert "--prefect-file deploy/prefect.yaml" in setup
    assert "newswatch db upgrade" in setup
    build = services["worker"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
    assert (DEPLOY / "postgres-init.sql").is_file()


@pytest.mark.parametrize(
    "unit",
    ["prefect-server.service", "prefect-worker@.service", "newswatch-serve.service",
     "newswatch-run.service"],
)
def test_systemd_units_start_real_commands(unit):
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.read(DEPLOY / unit)
    command = shlex.split(parsed["Service"]["ExecStart"])
    program = Path(command[0]).name
    if program == "newswatch":
        build_parser().parse_args(command[1:])  # exits on an unknown command or option
    else:
        assert program == "prefect" and command[1:3] in (["server", "start"], ["worker", "start"])
        if command[1] == "worker":
            assert command[command.index("--pool") + 1] == "newswatch"


def test_prefect_deploy_accepts_prefect_yaml(prefect_api_url, tmp_path):
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="newswatch", type="process"), overwrite=True)
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "PREFECT_HOME": str(tmp_path)}
    prefect = Path(sys.executable).with_name("prefect")
    deployed = subprocess.run(
        [str(prefect), "--no-prompt", "deploy", "--all", "--prefect-file", "deploy/prefect.yaml"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    with get_client(sync_client=True) as client:
        found = client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["newswatch"]))
        )
    by_name = {d.name: d for d in found}
    assert {"courier", "ledger", "digests"} <= set(by_name)
    courier = by_name["courier"]
    assert courier.work_pool_name == "newswatch"
    assert courier.global_concurrency_limit.limit == 1
    assert courier.schedules[0].schedule.interval.total_seconds() == 900
    assert courier.pull_steps[0]["prefect.deployments.steps.set_working_directory"] == {
        "directory": str(ROOT)
    }
