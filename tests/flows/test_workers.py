"""Scale-out: two Prefect process workers on one pool, one PostgreSQL app database, many site
crawls at once. Every article is stored once and every alert is sent once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import yaml
from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.deployments.runner import EntrypointType
from sqlalchemy import func, select

from flows.run import newswatch_run
from store.db import session_factory
from store.models import Article, CrawlRun, Delivery, DeliveryState, Match
from tests.flows.test_run import TEST_CRAWL

COPIES = 3  # sites per outlet of the sample site: the same articles, crawled at the same time
RUNS_TIMEOUT_S = 300


def stop(worker: subprocess.Popen[str], grace_s: float = 60) -> None:
    """Wait for a worker told to stop; kill it if it is still shutting down after ``grace_s``.

    What this test checks is in its logs and the databases, all written by then. On a loaded
    machine a worker can take longer than that to shut down, its heartbeats failing against
    the test server's SQLite file."""
    try:
        worker.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=30)


def start_worker(name: str, pool: str, api_url: str, home: Path) -> subprocess.Popen[str]:
    prefect = Path(sys.executable).with_name("prefect")
    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(home / name),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",  # its log is whole even if it has to be killed (``stop``)
    }
    log = (home / f"{name}.log").open("w")
    return subprocess.Popen(
        [str(prefect), "worker", "start", "--pool", pool, "--type", "process", "--name", name,
         "--limit", str(COPIES)],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )


def took(log: str, flow_run_id: object) -> bool:
    """Whether the worker with this log ran the flow run (both may try; one is turned away)."""
    return (f"submitting flow run '{flow_run_id}'" in log
            and f"Aborted submission of flow run '{flow_run_id}'" not in log)


def test_two_workers_store_each_article_once_and_send_each_alert_once(
    tmp_path, postgres_url, sample_site, http_receiver, prefect_api_url
):
    sites = []
    for n in range(1, COPIES + 1):
        sites.append({"name": f"courier-{n}", "feeds": [f"{sample_site}/courier/rss.xml"]})
        sites.append({"name": f"ledger-{n}", "sitemaps": [f"{sample_site}/ledger/sitemap-news.xml"],
                      "start_urls": [f"{sample_site}/ledger/world/"]})
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({
        "database": postgres_url,
        "crawl": TEST_CRAWL,
        "channels": {"hook": http_receiver.url("json", "/hook")},
        "sites": sites,
        "watches": [{"name": "putin-visit", "query": "Putin visit", "notify": ["hook"]}],
    }))
    session_factory(postgres_url)  # the schema, before the runs race to create it

    pool = f"newswatch-test-{uuid.uuid4().hex[:8]}"
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    deployment_ids = [
        newswatch_run.to_deployment(
            name=f"{pool}-{site['name']}",
            parameters={"config_path": str(config), "sites": [site["name"]]},
            work_pool_name=pool,
            concurrency_limit=1,
            entrypoint_type=EntrypointType.MODULE_PATH,
        ).apply()
        for site in sites
    ]
    workers = [start_worker(name, pool, prefect_api_url, tmp_path) for name in ("w1", "w2")]
    try:
        with get_client(sync_client=True) as client:
            ids = [client.create_flow_run_from_deployment(d).id for d in deployment_ids]
            deadline = time.monotonic() + RUNS_TIMEOUT_S
            while True:
                runs = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids))
                )
                if all(r.state.is_final() for r in runs):
                    break
                assert time.monotonic() < deadline, [(r.name, r.state.name) for r in runs]
                time.sleep(1)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            stop(worker)

    logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("w1", "w2")}
    assert all(r.state.is_completed() for r in runs), (
        [(r.name, r.state.name, r.state.message) for r in runs], logs
    )
    taken = {name: {i for i in ids if took(text, i)} for name, text in logs.items()}
    assert taken["w1"] and taken["w2"], taken  # both workers ran crawls
    assert taken["w1"] | taken["w2"] == set(ids) and not taken["w1"] & taken["w2"], taken

    with session_factory(postgres_url)() as session:
        articles = session.scalar(select(func.count()).select_from(Article))
        claimed_new = session.scalar(select(func.sum(CrawlRun.articles_new)))
        assert articles >= 8 and claimed_new == articles  # no article counted new twice
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == len(sites)
        matches = session.scalar(select(func.count()).select_from(Match))
        deliveries = session.scalars(select(Delivery)).all()
        assert matches >= 1 and len(deliveries) == matches
        assert {d.state for d in deliveries} == {DeliveryState.SENT}

    sent_items = sum(len(r.json["digest"]["stories"]) for r in http_receiver.requests)
    assert sent_items == len(deliveries)  # every alert sent, and only once
