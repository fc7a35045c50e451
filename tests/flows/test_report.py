"""A run's artifacts, read back through the Prefect API: the markdown report and the table."""

from __future__ import annotations

import json

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterName,
    TaskRunFilter,
    TaskRunFilterFlowRunId,
)
from prefect.client.schemas.sorting import FlowRunSort

from flows.report import MATCHES_KEY, report_key
from tests.flows.test_run import write_config


def latest_run_of(client, name: str, config: str):
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
        sort=FlowRunSort.START_TIME_DESC,
    )
    return next(r for r in runs if r.parameters.get("config_path") == config)


def test_a_run_publishes_its_report_and_new_matches(
    tmp_path, sqlite_url, sample_site, http_receiver, newswatch
):
    config = write_config(
        tmp_path, sqlite_url, sample_site, {"hook": http_receiver.url("json", "/hook")},
        broken=True,
    )
    result = newswatch("run", "--config", config, "--site", "courier", "--site", "erroring")
    assert result.returncode == 1, result.stderr[-3000:]

    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-courier-erroring", config)
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
        )
        task_runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run.id]))
        )
    by_key = {a.key: a for a in artifacts}
    report = by_key[report_key("courier-erroring")].data
    table = json.loads(by_key[MATCHES_KEY].data)

    # Per site: counts, extraction, health and errors.
    courier_row = next(line for line in report.splitlines() if line.startswith("| courier |"))
    assert "| 5/5 |" in courier_row and "| ok |" in courier_row
    erroring_row = next(line for line in report.splitlines() if line.startswith("| erroring |"))
    assert "bad run 1/3: the crawl failed" in erroring_row and "HTTP 500" in erroring_row
    # Per watch: the new story with its link. Deliveries: what went out.
    putin = next(row for row in table if row["watch"] == "putin-visit")
    assert "### putin-visit" in report
    assert f"]({'<'}{putin['url']}>)" in report
    assert putin["site"] == "courier" and "Putin" in putin["headline"]
    assert "- putin-visit → hook: sent 1 story" in report
    assert len(http_receiver.requests) == 1

    # Each crawl showed its progress; a finished one shows 100 %.
    progress = by_key["crawl-progress-courier"]
    assert progress.type == "progress" and float(progress.data) == 100
    assert "courier: " in progress.description and "5 articles" in progress.description

    names = {t.name for t in task_runs}
    assert {"crawl-courier", "crawl-erroring", "store-courier", "store-erroring"} <= names
