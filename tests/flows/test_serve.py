"""``newswatch serve``: a deployment per site on the test Prefect server, a run through the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterTags,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
)
from prefect.states import Scheduled

from flows.config import parse_config
from flows.serve import SERVE_TAG, deployments, prune_deployments
from tests.flows.test_run import TEST_CRAWL

SERVE_STARTUP_S = 60


def served_deployments() -> dict[str, object]:
    with get_client(sync_client=True) as client:
        found = client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[SERVE_TAG]))
        )
    return {d.name: d for d in found}


def runs_of(deployment_id) -> list:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])))


def wait_for_run(deployment_id, done, what: str, served, log: Path, timeout: float = 120):
    """The first run of the deployment for which ``done(run)`` holds, waiting for it."""
    deadline = time.monotonic() + timeout
    while True:
        found = [run for run in runs_of(deployment_id) if done(run)]
        if found:
            return found[0]
        assert served.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{what}: {runs_of(deployment_id)}"
        time.sleep(0.5)


def wait_for_deployments(names: set[str], served, log: Path) -> dict[str, object]:
    """serve's deployments once it has registered those of ``names``."""
    deadline = time.monotonic() + SERVE_STARTUP_S
    while names - set(found := served_deployments()):
        assert served.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"serve registered no deployment of {names} in time"
        time.sleep(0.5)
    return found


def start_serve(config: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("newswatch")), "serve", "--config", config],
            env=env, stdout=out, stderr=out,
        )


def serve_config(tmp_path: Path, database_url: str, sample_site: str, hook: str) -> str:
    config = {
        "database": database_url,
        "crawl": TEST_CRAWL,
        "channels": {"hook": hook},
        "sites": [
            {"name": "courier", "feeds": [f"{sample_site}/courier/rss.xml"], "every": "7m"},
            {
                "name": "ledger",
                "sitemaps": [f"{sample_site}/ledger/sitemap-news.xml"],
                "cron": "0 6 * * 1",
            },
        ],
        "watches": [{"name": "putin-visit", "query": "Putin visit", "notify": ["hook"]}],
    }
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_serve_registers_a_deployment_per_site_and_runs_them(
    tmp_path, sqlite_url, sample_site, http_receiver, prefect_api_url
):
    config = serve_config(tmp_path, sqlite_url, sample_site, http_receiver.url("json", "/hook"))
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api_url,
        "NEWSWATCH_HOME": str(tmp_path),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # seconds; pick the triggered run up at once
    }
    served = start_serve(config, env, tmp_path / "serve.log")
    try:
        found = wait_for_deployments({"courier", "ledger"}, served, tmp_path / "serve.log")
        courier, ledger = found["courier"], found["ledger"]
        assert [s.schedule.interval for s in courier.schedules] == [timedelta(minutes=7)]
        assert [s.schedule.cron for s in ledger.schedules] == ["0 6 * * 1"]
        for deployment, site in ((courier, "courier"), (ledger, "ledger")):
            assert deployment.parameters == {"config_path": config, "sites": [site]}
            assert deployment.global_concurrency_limit.limit == 1
            assert deployment.concurrency_options.collision_strategy == "CANCEL_NEW"
            assert deployment.entrypoint == "flows.run.newswatch_run"
            assert all(s.active for s in deployment.schedules)

        # Every site is polled once at start, before its schedule's first slot.
        run = wait_for_run(courier.id, lambda r: r.state.is_final(), "no run at start",
                           served, tmp_path / "serve.log")
        assert run.state.is_completed(), (run.state, (tmp_path / "serve.log").read_text()[-3000:])
        assert run.name == "run-courier"
        assert {"site-courier", SERVE_TAG} <= set(run.tags)
        assert len(http_receiver.requests) == 1
        assert "Putin" in http_receiver.requests[0].json["message"]

        served.send_signal(signal.SIGTERM)
        assert served.wait(timeout=30) == 0
        assert "newswatch: stopped serving" in (tmp_path / "serve.log").read_text()
        # Not paused: another serve of the same deployments goes on; missed slots are
        # skipped at the next start (test_a_restart_skips_missed_slots_and_polls_at_once).
        assert not served_deployments()["courier"].paused
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()


def test_restart_with_a_changed_config_updates_schedules_and_drops_old_sites(
    tmp_path, sqlite_url, sample_site
):
    path = serve_config(tmp_path, sqlite_url, sample_site, "json://127.0.0.1:9/hook")
    before = parse_config(yaml.safe_load(Path(path).read_text()), source=path)
    for deployment in deployments(before):
        deployment.apply()
    assert {"courier", "ledger"} <= set(served_deployments())

    changed = before.model_copy(
        update={"sites": (before.sites[0].model_copy(update={"every": "2h"}),)}
    )
    made = deployments(changed)
    assert "newswatch-run/ledger" in prune_deployments(made)
    for deployment in made:
        deployment.apply()
    found = served_deployments()
    assert "ledger" not in found
    assert [s.schedule.interval for s in found["courier"].schedules] == [timedelta(hours=2)]


def test_scheduled_digests_get_a_deployment_at_their_slots(tmp_path):
    config = parse_config(
        {
            "channels": {"hook": "json://127.0.0.1:9/hook"},
            "sites": [{"name": "courier", "feeds": ["https://courier.example/rss"]}],
            "watches": [
                {"name": "now", "query": "a", "notify": ["hook"]},
                {"name": "mornings", "query": "b", "notify": ["hook"],
                 "deliver": "daily 08:00 Europe/Istanbul"},
                {"name": "also-mornings", "query": "c", "notify": ["hook"],
                 "deliver": "daily 08:00 Europe/Istanbul"},
                {"name": "sundays", "query": "d", "notify": ["hook"],
                 "deliver": "weekly sun 18:30"},
            ],
        },
        source=str(tmp_path / "newswatch.yaml"),
    )
    made = {d.name: d for d in deployments(config)}
    assert set(made) == {"courier", "digests"}
    digests = made["digests"]
    assert digests.flow_name == "newswatch-deliver"
    assert [(s.schedule.cron, s.schedule.timezone) for s in digests.schedules] == [
        ("0 8 * * *", "Europe/Istanbul"),
        ("30 18 * * 0", "UTC"),
    ]
    assert made["courier"].parameters == {
        "config_path": str(tmp_path / "newswatch.yaml"), "sites": ["courier"]
    }


def test_a_failed_site_run_logs_its_failure_without_a_traceback(
    tmp_path, sqlite_url, sample_site, prefect_api_url
):
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from tests.flows.test_run import closed_port

    config = Path(serve_config(tmp_path, sqlite_url, sample_site, "json://127.0.0.1:9/hook"))
    spec = yaml.safe_load(config.read_text())
    spec["sites"] = [{"name": "deadsite", "feeds": [f"http://127.0.0.1:{closed_port()}/rss.xml"],
                      "every": "7m"}]
    config.write_text(yaml.safe_dump(spec))
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(tmp_path),
           "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    served = start_serve(str(config), env, tmp_path / "serve.log")
    try:
        deadsite = wait_for_deployments({"deadsite"}, served, tmp_path / "serve.log")["deadsite"]
        run = wait_for_run(deadsite.id, lambda r: r.state.is_final(), "no run at start",
                           served, tmp_path / "serve.log")
        served.send_signal(signal.SIGTERM)
        served.wait(timeout=30)
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()

    assert run.state.is_failed(), run.state
    assert run.state.message.startswith("1 of 1 sites failed: deadsite: "), run.state.message
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    text = "\n".join(entry.message for entry in logs)
    assert "deadsite" in text  # the crawl task's warning is there
    assert "Traceback" not in text and "Unexpected result" not in text, text
    assert not [entry.message for entry in logs if entry.level >= 40
                and "Engine execution exited" in entry.message]
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_a_restart_skips_missed_slots_and_polls_at_once(
    tmp_path, sqlite_url, sample_site, http_receiver, prefect_api_url
):
    config = Path(serve_config(tmp_path, sqlite_url, sample_site,
                               http_receiver.url("json", "/hook")))
    spec = yaml.safe_load(config.read_text())
    spec["sites"] = [{"name": "gazette", "feeds": [f"{sample_site}/courier/rss.xml"],
                      "every": "1m"}]
    config.write_text(yaml.safe_dump(spec))
    env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(tmp_path),
           "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    log = tmp_path / "serve.log"
    served = start_serve(str(config), env, log)
    try:
        gazette = wait_for_deployments({"gazette"}, served, log)["gazette"]
        first = wait_for_run(gazette.id, lambda r: r.state.is_completed(), "no run at start",
                             served, log)
        assert first.name == "run-gazette"
        # Killed outright: nothing pauses the deployment, and its slots fall due unserved.
        served.kill()
        served.wait()
        with get_client(sync_client=True) as client:
            missed = [client.create_flow_run_from_deployment(gazette.id, state=Scheduled(
                scheduled_time=datetime.now(UTC) - timedelta(minutes=minutes)))
                for minutes in (3, 2, 1)]

        served = start_serve(str(config), env, log)
        again = wait_for_run(gazette.id, lambda r: r.state.is_completed() and r.id != first.id,
                             "no run at restart", served, log)
        # Killed again: a SIGTERM now could catch the run's process ending, and cancel it.
        served.kill()
        served.wait()
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()

    assert "skipped 3 runs missed while not serving" in log.read_text()
    runs = runs_of(gazette.id)
    assert not {r.id for r in missed} & {r.id for r in runs}  # deleted, not run or cancelled
    assert again.name == "run-gazette"
    # A poll at each start (and any slot that fell due meanwhile); nothing Late, Cancelled or
    # left waiting past its time.
    states = [(r.name, r.state.name) for r in runs]
    completed = [name for name, state in states if state == "Completed"]
    assert completed.count("run-gazette") >= 2, states
    assert {state for _, state in states} <= {"Completed", "Scheduled"}, states
    assert all(r.expected_start_time > datetime.now(UTC) for r in runs
               if r.state.name == "Scheduled"), states
