"""``newswatch run`` end to end: a real crawl of the sample site, a real database, real channels."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from flows.cli import main
from store.db import session_factory
from store.models import Article, CrawlRun, Delivery, DeliveryState
from tests.faults.servers import StallServer, descendants, kill9, wait_until

TEST_CRAWL = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}, "timeout": "2m"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(tmp_path, database_url, sample_site, channels, *, broken=False) -> str:
    sites = [
        {"name": "courier", "feeds": [f"{sample_site}/courier/rss.xml"]},
        {
            "name": "ledger",
            "sitemaps": [f"{sample_site}/ledger/sitemap-news.xml"],
            "start_urls": [f"{sample_site}/ledger/world/"],
        },
    ]
    if broken:
        sites += [
            {"name": "erroring", "feeds": [f"{sample_site}/broken/rss.xml"]},
            {"name": "unreachable", "feeds": [f"http://127.0.0.1:{closed_port()}/rss.xml"]},
        ]
    config = {
        "database": database_url,
        "crawl": TEST_CRAWL,
        "channels": channels,
        "sites": sites,
        "watches": [
            {"name": "putin-visit", "query": "Putin visit", "notify": list(channels)},
            {"name": "nothing", "query": '"no such phrase anywhere"', "notify": list(channels)},
        ],
    }
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_run_alerts_once_and_broken_sites_fail_alone(
    tmp_path, database_url, sample_site, http_receiver, smtp_receiver, newswatch
):
    channels = {"hook": http_receiver.url("json", "/hook"), "mail": smtp_receiver.url()}
    config = write_config(tmp_path, database_url, sample_site, channels, broken=True)

    first = newswatch("run", "--config", config)
    assert first.returncode == 1, first.stderr[-3000:]
    failures = first.stderr.split("newswatch: the run failed:\n")[1].splitlines()
    assert len(failures) == 3, failures
    assert failures[0] == "  2 of 4 sites failed: erroring, unreachable"
    assert failures[1].startswith("  site erroring: ") and "HTTP 500" in failures[1]
    assert failures[2].startswith("  site unreachable: ") and "refused" in failures[2]

    # One digest per channel, carrying the Putin story and not the "Read More" decoy.
    assert len(http_receiver.requests) == 1
    payload = http_receiver.requests[0].json
    assert payload["title"].startswith("putin-visit:")
    assert "Putin to visit China" in payload["message"] or "Putin trip" in payload["message"]
    assert "Putin to visit India" not in payload["message"]
    assert len(smtp_receiver.messages) == 1
    assert "putin-visit" in smtp_receiver.messages[0].message["Subject"]

    with session_factory(database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Article)) >= 8
        states = set(session.scalars(select(Delivery.state)))
        assert states == {DeliveryState.SENT}
        runs = {r.site: r for r in session.scalars(select(CrawlRun))}
        assert runs["erroring"].failed and runs["unreachable"].failed
        assert not runs["courier"].failed and runs["courier"].articles_new >= 4

    # The second run finds nothing new and sends nothing.
    second = newswatch("run", "--config", config, "--site", "courier", "--site", "ledger")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "0 new articles" in second.stdout
    assert len(http_receiver.requests) == 1
    assert len(smtp_receiver.messages) == 1


def test_run_with_unknown_site_is_a_config_error(tmp_path, sqlite_url, sample_site, newswatch):
    config = write_config(tmp_path, sqlite_url, sample_site, {"t": "json://127.0.0.1:9/x"})
    result = newswatch("run", "--config", config, "--site", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"newswatch: {config}: sites: no site named 'nope' (sites: courier, ledger)"
    )


@pytest.mark.parametrize("argv", [["run"], ["db", "upgrade"]])
def test_missing_config_is_one_line(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == "newswatch: newswatch.yaml: no such config file (give --config FILE)"


def test_articles_a_dead_run_stored_but_never_matched_alert_in_the_next_run(
    tmp_path, sqlite_url, sample_site, http_receiver, newswatch
):
    from spiders.runner import crawl_site
    from store.articles import save_articles
    from store.items import SiteSpec

    config = write_config(tmp_path, sqlite_url, sample_site,
                          {"hook": http_receiver.url("json", "/hook")})
    # What a run that died between its store and match steps leaves: the courier's articles
    # stored (so the next crawl skips them), no match recorded.
    crawled = crawl_site(SiteSpec(name="courier", feeds=(f"{sample_site}/courier/rss.xml",)),
                         workdir=tmp_path / "dead", settings=TEST_CRAWL["settings"])
    with session_factory(sqlite_url).begin() as session:
        assert save_articles(session, crawled.articles)

    result = newswatch("run", "--config", config, "--site", "courier")

    assert result.returncode == 0, result.stderr[-3000:]
    assert "0 new articles, 1 new match, 1 alert sent" in result.stdout
    assert len(http_receiver.requests) == 1
    assert http_receiver.requests[0].json["title"].startswith("putin-visit:")
    with session_factory(sqlite_url)() as session:
        assert not session.scalar(select(func.count()).where(Article.match_pending))


def test_a_crawl_task_that_crashes_fails_its_site_alone(tmp_path, sqlite_url, sample_site,
                                                        http_receiver, monkeypatch):
    # Not a failed crawl (crawl_site never raises for one) but the task itself dying: the
    # site's crawl run is still recorded, as failed, and the other site is stored and matched.
    import flows.tasks
    from flows.run import newswatch_run

    real_crawl_site = flows.tasks.crawl_site

    def crawl_site(site, **kwargs):
        if site.name == "ledger":
            raise RuntimeError("the crawl task died")
        return real_crawl_site(site, **kwargs)

    monkeypatch.setattr(flows.tasks, "crawl_site", crawl_site)
    config = write_config(tmp_path, sqlite_url, sample_site,
                          {"hook": http_receiver.url("json", "/hook")})

    state = newswatch_run(config_path=config, return_state=True)

    assert state.is_failed()
    assert "crawl crashed" in state.message and "the crawl task died" in state.message
    with session_factory(sqlite_url)() as session:
        runs = {r.site: r for r in session.scalars(select(CrawlRun))}
        assert runs["ledger"].failed and not runs["courier"].failed
        assert session.scalar(select(func.count()).select_from(Article)) > 0
    assert len(http_receiver.requests) == 1


def test_the_crawl_child_gets_no_secret_from_the_environment(tmp_path, sqlite_url,
                                                             prefect_api_url):
    # The child parses hostile pages: read its environment from /proc while it waits on a
    # site that never answers.
    secrets = {"NEWS_HOOK_TOKEN": "hook-token-4f1d", "PREFECT_API_KEY": "pnu_key-77a2",
               "PREFECT_API_AUTH_STRING": "admin:prefect-pw-90c3",
               "SOME_OTHER_SETTING": "unrelated-5e0b"}
    with StallServer() as stall:
        config = tmp_path / "newswatch.yaml"
        config.write_text(yaml.safe_dump({
            "database": sqlite_url, "crawl": TEST_CRAWL,
            "channels": {"hook": "json://127.0.0.1:9/hook?token=${NEWS_HOOK_TOKEN}"},
            "sites": [{"name": "stalls", "feeds": [f"{stall.base_url}/rss.xml"]}],
            "watches": [{"name": "all", "query": "news", "notify": ["hook"]}],
        }))
        env = {**os.environ, **secrets, "PREFECT_API_URL": prefect_api_url,
               "NEWSWATCH_HOME": str(tmp_path)}
        command = [str(Path(sys.executable).with_name("newswatch")), "run", "--config",
                   str(config)]
        run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: stall.accepted, timeout=120, what="the crawl to reach the site")
            child = next(pid for pid, line in descendants(run.pid) if "spiders.crawl" in line)
            environ = Path(f"/proc/{child}/environ").read_bytes().decode()
            kill9(child)
            run.communicate(timeout=120)
        finally:
            kill9(run.pid)

    seen = dict(entry.split("=", 1) for entry in environ.split("\0") if entry)
    for name, value in secrets.items():
        assert name not in seen and value not in environ, name
    assert seen["NEWSWATCH_DATABASE_URL"] == sqlite_url
    assert seen["PATH"] == os.environ["PATH"]
    assert run.returncode == 1  # the killed crawl failed its site


def test_a_dead_site_fails_its_crawl_task_and_the_run_says_how_many_failed(
    tmp_path, sqlite_url, sample_site, newswatch
):
    from prefect import get_client
    from prefect.client.schemas.filters import (
        LogFilter,
        LogFilterFlowRunId,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
    )

    from tests.flows.test_report import latest_run_of

    config = write_config(tmp_path, sqlite_url, sample_site, {})
    spec = yaml.safe_load(Path(config).read_text())
    spec["sites"].append({"name": "deadsite",
                          "feeds": [f"http://127.0.0.1:{closed_port()}/rss.xml"]})
    Path(config).write_text(yaml.safe_dump(spec))

    result = newswatch("run", "--config", config)

    assert result.returncode == 1, result.stderr[-3000:]
    with get_client(sync_client=True) as client:
        run = latest_run_of(client, "run-all-sites", config)
        task_runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run.id]))
        )
    states = {t.name: t.state for t in task_runs}
    # The failure sits on the task where it happened; every later step still ran.
    dead = states["crawl-deadsite"]
    assert dead.is_failed() and dead.message.startswith("deadsite: "), dead
    assert "refused" in dead.message.lower(), dead.message
    others = {name: state.name for name, state in states.items() if name != "crawl-deadsite"}
    assert set(others.values()) == {"Completed"}, others
    assert {"crawl-courier", "crawl-ledger", "store-deadsite", "match-watches",
            "deliver-alerts", "publish-report"} <= set(others)
    # The run's state says how much failed, and what.
    assert run.state.is_failed()
    assert run.state.message.startswith("1 of 3 sites failed: deadsite: "), run.state.message
    assert result.stderr.splitlines()[-1] == f"  {run.state.message}"

    # The run's log says each thing once, in words: no Scrapy stats dict, no state dumps.
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
    said = "\n".join(entry.message for entry in logs)
    headline = r"\u201c[^\u201d\n]*Putin[^\u201d\n]*\u201d"
    assert re.search(rf"^putin-visit matched {headline} \(story \d+\)$", said, re.MULTILINE), said
    assert "matched story" not in said
    assert "Scrapy stats" not in said and "downloader/" not in said
    assert "Task run failed with state" not in said and "CrawlResult(" not in said
    assert [e.message for e in logs if e.level >= logging.WARNING and "deadsite" in e.message] == [
        "deadsite: " + dead.message.removeprefix("deadsite: "),
        f"Finished in state Failed({dead.message!r})"], said
    # The terminal shows Prefect's lines only; the crawl's own log lines stay in its log file.
    terminal = result.stdout + result.stderr
    assert not re.search(r"\[scrapy[.\]]|\[spiders\.|Scrapy stats|downloader/", terminal), terminal
