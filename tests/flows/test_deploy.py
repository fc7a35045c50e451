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


# -- the Prefect API is not published without a password ------------------------------------

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def published_addresses(service: dict) -> list[str]:
    """The host addresses each of a compose service's ports is published on ('' = all)."""
    addresses = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # the long syntax
            addresses.append(port.get("host_ip", ""))
        else:
            parts = str(port).rsplit(":", 2)
            addresses.append(parts[0].strip("[]") if len(parts) == 3 else "")
    return addresses


def test_compose_publishes_the_prefect_api_on_loopback_and_behind_a_password():
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        for address in published_addresses(service):
            assert address in LOOPBACK, f"{name} publishes a port on {address or 'every address'}"
    server = services["prefect-server"]
    assert published_addresses(server) == ["127.0.0.1"]
    # Inside the compose network it listens on its container's interfaces, so it asks for the
    # password, and every service that talks to it gives it.
    secret = server["environment"]["PREFECT_SERVER_API_AUTH_STRING"]
    assert secret.startswith("${PREFECT_API_AUTH_STRING:?")
    clients = {n: s for n, s in services.items() if "PREFECT_API_URL" in s.get("environment", {})}
    assert {"deploy", "worker"} <= set(clients)
    for name, service in clients.items():
        assert service["environment"]["PREFECT_API_AUTH_STRING"] == secret, name
        assert service["environment"]["PREFECT_API_URL"].startswith("http://prefect-server:")


@pytest.mark.parametrize("unit", sorted(p.name for p in DEPLOY.glob("*.service")))
def test_systemd_units_serve_prefect_on_loopback_only(unit):
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.read(DEPLOY / unit)
    command = shlex.split(parsed["Service"]["ExecStart"])
    program, args = Path(command[0]).name, command[1:]
    if "--host" in args:
        assert args[args.index("--host") + 1] in LOOPBACK, unit
    if program == "prefect" and args[:2] == ["server", "start"]:
        assert "--host" in args, f"{unit}: Prefect's default host comes from the environment"
    # `newswatch ui` listens on loopback unless PREFECT_SERVER_API_HOST says otherwise, and then
    # refuses to start without PREFECT_SERVER_API_AUTH_STRING (tests/flows/test_ui.py).
    settings = [line for line in (DEPLOY / unit).read_text().splitlines()
                if line.startswith("Environment=")]
    assert not [line for line in settings if "PREFECT_SERVER_API_HOST" in line], unit
