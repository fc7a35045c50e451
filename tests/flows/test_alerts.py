"""Alerts through the real commands: a channel that is down, schedules, two runs at once,
``newswatch alerts list|retry|test``, and secrets that never leave the channel URL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from sqlalchemy import MetaData, create_engine, select, update

from flows.cli import main
from store.db import forget_databases, session_factory
from store.models import Delivery, DeliveryState
from tests.alerts.receivers import HttpReceiver
from tests.alerts.stories import add_stories

TEST_CRAWL = {"settings": {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}, "timeout": "2m"}

# Stories of the sample site that each watch matches.
WATCHES = {
    "putin-visit": "Putin visit",
    "floods": "floods",
    "inflation": "inflation",
    "marathon": "marathon",
}


def write_config(tmp_path: Path, database_url: str, sample_site: str, **config) -> str:
    config = {
        "database": database_url,
        "crawl": TEST_CRAWL,
        "sites": [
            {"name": "courier", "feeds": [f"{sample_site}/courier/rss.xml"]},
            {
                "name": "ledger",
                "sitemaps": [f"{sample_site}/ledger/sitemap-news.xml"],
                "start_urls": [f"{sample_site}/ledger/world/"],
            },
        ],
        **config,
    }
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


def deliveries(database_url: str) -> dict[str, list[tuple[str, int]]]:
    """(state, attempts) of every delivery, by channel."""
    rows: dict[str, list[tuple[str, int]]] = {}
    with session_factory(database_url)() as session:
        for d in session.scalars(select(Delivery).order_by(Delivery.id)):
            rows.setdefault(d.channel, []).append((d.state, d.attempts))
    return rows


def stories_in(receiver: HttpReceiver, requests: slice = slice(None)) -> Counter[tuple[str, str]]:
    """(watch, story link) pairs in the JSON digests a receiver got."""
    return Counter(
        (request.json["title"].split(":")[0], link)
        for request in receiver.requests[requests]
        for link in re.findall(r"^(https?://\S+)$", request.json["message"], re.MULTILINE)
    )


def test_a_channel_down_for_a_run_gets_its_alert_later_and_the_other_one_once(
    tmp_path, sqlite_url, sample_site, newswatch
):
    database_url = sqlite_url
    with HttpReceiver(status=503) as down, HttpReceiver() as up:
        channels = {"down": down.url("json", "/hook"), "up": up.url("json", "/hook")}
        watches = [{"name": "putin-visit", "query": "Putin visit", "notify": ["down", "up"]}]
        config = write_config(
            tmp_path, database_url, sample_site, channels=channels, watches=watches
        )

        first = newswatch("run", "--config", config)
        assert first.returncode == 1, first.stderr[-3000:]
        assert (
            f"  channel down (watch putin-visit): json://127.0.0.1:{down.port}: "
            "Failed to send JSON POST notification"
        ) in first.stderr
        assert len(up.requests) == 1 and len(down.requests) == 1
        alerted = stories_in(up)
        # Still queued for the channel that was down: "failed" is the state of a row whose
        # last attempt failed, and it stays due for retry.
        rows = deliveries(database_url)
        assert rows["down"] == [(DeliveryState.FAILED, 1)] * len(alerted)
        assert rows["up"] == [(DeliveryState.SENT, 1)] * len(alerted)

        # The service is back, and the backoff (a minute after the first failure) is over.
        down.status, down.requests = 200, []
        with session_factory(database_url).begin() as session:
            session.execute(
                update(Delivery).values(next_attempt=datetime.now(UTC) - timedelta(seconds=1))
            )
        second = newswatch("run", "--config", config)
        assert second.returncode == 0, second.stderr[-3000:]
        assert stories_in(down) == alerted  # delivered once, as one digest
        assert len(up.requests) == 1  # the other channel is not sent to again
        rows = deliveries(database_url)
        assert rows["down"] == [(DeliveryState.SENT, 2)] * len(alerted)
        assert rows["up"] == [(DeliveryState.SENT, 1)] * len(alerted)

        third = newswatch("run", "--config", config)
        assert third.returncode == 0, third.stderr[-3000:]
        assert (len(down.requests), len(up.requests)) == (1, 1)


def test_a_scheduled_watch_keeps_its_alerts_until_its_slot(
    tmp_path, sqlite_url, sample_site, newswatch
):
    slot = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")
    with HttpReceiver() as hook:
        watches = [
            {"name": "putin-visit", "query": "Putin visit", "notify": ["hook"]},
            {
                "name": "morning",
                "query": "floods OR inflation",
                "notify": ["hook"],
                "deliver": f"daily {slot}",
                "timezone": "UTC",
            },
        ]
        config = write_config(
            tmp_path, sqlite_url, sample_site, channels={"hook": hook.url("json", "/h")},
            watches=watches,
        )
        first = newswatch("run", "--config", config)
        assert first.returncode == 0, first.stderr[-3000:]
        assert [r.json["title"].split(":")[0] for r in hook.requests] == ["putin-visit"]
        # The digest names its watch and where it is set; the wire story links its copy.
        digest = hook.requests[0].json["digest"]
        assert digest["watch"] == {"name": "putin-visit", "query": "Putin visit",
                                   "config_key": "watches[0]", "config_file": config}
        [story] = digest["stories"]
        assert story["site"] == "courier" and [c["site"] for c in story["also_on"]] == ["ledger"]
        assert story["also_on"][0]["url"].startswith(f"{sample_site}/ledger/news/88412/")
        assert f"This watch: watches[0] in {config}" in hook.requests[0].json["message"]
        with session_factory(sqlite_url)() as session:
            waiting = session.scalars(select(Delivery).where(Delivery.watch == "morning")).all()
            assert len(waiting) >= 2
            assert {d.state for d in waiting} == {DeliveryState.PENDING}

        # A day later the slot has passed: one digest carries everything since the last one.
        with session_factory(sqlite_url).begin() as session:
            for delivery in session.scalars(select(Delivery).where(Delivery.watch == "morning")):
                delivery.created -= timedelta(days=1)
        second = newswatch("run", "--config", config)
        assert second.returncode == 0, second.stderr[-3000:]
        assert len(hook.requests) == 2
        assert hook.requests[1].json["title"] == f"morning: {len(waiting)} new stories"
        assert hook.requests[1].json["digest"]["watch"]["config_key"] == "watches[1]"


def test_two_runs_at_once_send_each_delivery_exactly_once(
    tmp_path, postgres_url, sample_site, prefect_api_url
):
    with HttpReceiver(delay=0.3) as team, HttpReceiver(delay=0.3) as me:
        channels = {"team": team.url("json", "/team"), "me": me.url("json", "/me")}
        watches = [
            {"name": name, "query": query, "notify": ["team", "me"]}
            for name, query in WATCHES.items()
        ]
        config = write_config(
            tmp_path, postgres_url, sample_site, channels=channels, watches=watches
        )
        command = Path(sys.executable).with_name("newswatch")
        env = {**os.environ, "PREFECT_API_URL": prefect_api_url, "NEWSWATCH_HOME": str(tmp_path)}
        runs = [
            subprocess.Popen(
                [str(command), "run", "--config", config],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=300) for run in runs]
        for run, (_, err) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, err[-3000:]

        with session_factory(postgres_url)() as session:
            rows = session.scalars(select(Delivery)).all()
        assert len(rows) >= 2 * len(WATCHES)
        assert {(d.state, d.attempts, d.claimed_by) for d in rows} == {
            (DeliveryState.SENT, 1, None)
        }
        for receiver, channel in ((team, "team"), (me, "me")):
            got = stories_in(receiver)
            assert set(got.values()) == {1}, got  # nothing twice
            assert len(got) == sum(1 for d in rows if d.channel == channel)  # nothing lost


# -- newswatch alerts list | retry | test --------------------------------------------------------


@pytest.fixture
def outbox(tmp_path, sqlite_url, monkeypatch):
    """A config with a channel that is down and one that works, and two stories queued."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    with HttpReceiver(status=503) as down, HttpReceiver() as up:
        (tmp_path / "apprise.txt").write_text(f"ops={up.url('json', '/ops')}\n")
        config = tmp_path / "newswatch.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "database": sqlite_url,
                    "channels": {"down": down.url("json", "/d"), "up": up.url("json", "/u")},
                    "channels_file": "apprise.txt",
                    "watches": [{"name": "putin", "query": "Putin", "notify": ["down", "up"]}],
                }
            )
        )
        with session_factory(sqlite_url).begin() as session:
            add_stories(session, "putin", ["down", "up"], 2)
        yield str(config), down, up


def alerts(capsys, *args: str) -> tuple[int, str]:
    code = main(["alerts", *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_alerts_retry_list_and_test(outbox, capsys):
    config, down, up = outbox

    code, out = alerts(capsys, "retry", "--config", config)
    assert code == 1
    error = (
        f"json://127.0.0.1:{down.port}: Failed to send JSON POST notification: "
        "Servers are overloaded., error=503."
    )
    assert out.splitlines() == [
        "putin → up: sent 2 stories",
        f"putin → down: not sent (2 stories): {error}",
    ]

    code, out = alerts(capsys, "list", "--config", config)
    assert code == 0
    lines = out.splitlines()
    assert re.match(r"TIME +WATCH +CHANNEL +STATE +TRIES +STORY$", lines[0])
    rows = [line.split() for line in lines[1:] if re.match(r"\d{4}-", line)]
    assert [(r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("putin", "up", "sent", "1", "putin", "story"),
        ("putin", "down", "failed", "1", "putin", "story"),
    ] * 2
    assert lines.count(f"{'':16}  last error: {error}") == 2
    assert "://" not in out.replace(error, "")  # channels by name, never by URL

    code, out = alerts(capsys, "list", "--failed", "--config", config)
    assert code == 0 and " up " not in out and out.count(" down ") == 2

    # `retry` does not wait for the backoff; a channel still down is tried again anyway.
    code, out = alerts(capsys, "retry", "--config", config)
    assert code == 1 and len(down.requests) == 2
    down.status = 200
    code, out = alerts(capsys, "retry", "--config", config)
    assert (code, out) == (0, "putin → down: sent 2 stories\n")
    code, out = alerts(capsys, "retry", "--config", config)
    assert (code, out) == (0, "Nothing to send.\n")

    code, out = alerts(capsys, "test", "up", "--config", config)
    assert (code, out) == (0, "up: sent. The service answered: Sent JSON POST notification.\n")
    assert up.requests[-1].json["title"] == "Newswatch test"
    down.status = 503
    code, out = alerts(capsys, "test", "down", "--config", config)
    assert (code, out) == (1, f"down: not sent. {error}\n")

    code, out = alerts(capsys, "test", "tag:ops", "--config", config)
    assert code == 0 and re.fullmatch(r"json-[0-9a-f]{6}: sent\. The service answered: .*\n", out)
    assert up.requests[-1].path == "/ops"

    code, out = alerts(capsys, "test", "nope", "--config", config)
    assert code == 2
    assert out == (
        f"newswatch: {config}: channels: no channel named 'nope' "
        f"(channels: {', '.join(load_channel_names(config))})\n"
    )


def test_alerts_list_shows_the_wait_a_service_asked_for(outbox, capsys):
    config, down, _ = outbox
    down.status, down.headers = 429, {"Retry-After": "900"}
    before = datetime.now().astimezone()
    code, out = alerts(capsys, "retry", "--config", config)
    assert code == 1 and "error=429. (Retry-After: 900 s)" in out

    code, out = alerts(capsys, "list", "--failed", "--config", config)
    assert out.count("(Retry-After: 900 s)") == 2
    next_tries = re.findall(r"next try: (\d{4}-\d\d-\d\d \d\d:\d\d)", out)
    assert len(next_tries) == 2
    for shown in next_tries:  # local time, to the minute; the backoff alone says 1 minute
        when = datetime.strptime(shown, "%Y-%m-%d %H:%M").astimezone()
        assert when >= before.replace(second=0, microsecond=0) + timedelta(minutes=15)


def load_channel_names(config: str) -> list[str]:
    from flows.config import load_config

    return list(load_config(config).channels)


def test_alerts_list_when_nothing_was_sent(tmp_path, sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({"database": sqlite_url}))
    assert alerts(capsys, "list", "--config", str(config)) == (0, "No deliveries yet.\n")
    assert alerts(capsys, "list", "--failed", "--config", str(config)) == (
        0,
        "No failed deliveries.\n",
    )


# -- secrets --------------------------------------------------------------------------------------

SECRETS = {
    "SMTP_PASSWORD": "pw-Qx81zS3cr3t",
    "HOOK_PASSWORD": "pw-Hk27uS3cr3t",
    "HEADER_TOKEN": "hdr-Kk55vS3cr3t",
    "PATH_TOKEN": "tok-Pp93wS3cr3t",
    "BEARER": "bearer-Bb11yS3cr3t",
    "FILE_TOKEN": "file-Ff64xS3cr3t",
}


@pytest.fixture
def newswatch_with_secrets(monkeypatch, request):
    """The `newswatch` command with the secrets in its environment (as ${VAR}s read them),
    logging everything down to DEBUG, where libraries print URLs and request lines."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    monkeypatch.setenv("PREFECT_LOGGING_ROOT_LEVEL", "DEBUG")
    return request.getfixturevalue("newswatch")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_secret_in_logs_database_or_artifacts(
    tmp_path, sqlite_url, sample_site, smtp_receiver, newswatch_with_secrets, prefect_api_url
):
    newswatch = newswatch_with_secrets
    with HttpReceiver() as hook, HttpReceiver(status=503) as down:
        channels = {
            "mail": smtp_receiver.url(creds="alerts:${SMTP_PASSWORD}"),
            "hook": f"json://user:${{HOOK_PASSWORD}}@127.0.0.1:{hook.port}/hook"
            "?+X-Token=${HEADER_TOKEN}",
            "down": f"json://127.0.0.1:{down.port}/${{PATH_TOKEN}}/hook?+X-Token=${{HEADER_TOKEN}}",
            "gone": f"json://127.0.0.1:{closed_port()}/${{PATH_TOKEN}}"
            "?+Authorization=Bearer%20${BEARER}",
        }
        (tmp_path / "apprise.txt").write_text(
            f"ops=json://127.0.0.1:{down.port}/x?+X-Token={SECRETS['FILE_TOKEN']}\n"
        )
        watches = [{"name": "putin-visit", "query": "Putin visit",
                    "notify": [*channels, "tag:ops"]}]
        config = write_config(
            tmp_path, sqlite_url, sample_site, channels=channels, channels_file="apprise.txt",
            watches=watches,
        )
        outputs = [newswatch("run", "--config", config)]
        assert outputs[0].returncode == 1, outputs[0].stderr[-3000:]
        assert len(hook.requests) == 1 and len(smtp_receiver.messages) == 1  # they did work
        for args in (["alerts", "list"], ["alerts", "retry"], ["alerts", "test", "down"],
                     ["alerts", "test", "tag:ops"], ["watch", "list"]):
            outputs.append(newswatch(*args, "--config", config))

    forms = {f for s in SECRETS.values() for f in (s, quote(s), quote(s, safe=""))}

    def leaks(text: str) -> list[str]:
        return sorted(f for f in forms if f in text)

    for output in outputs:
        assert leaks(output.stdout + output.stderr) == [], output.args
    assert "putin-visit" in outputs[1].stdout and "last error" in outputs[1].stdout

    # Every value of every table of the database.
    engine = create_engine(sqlite_url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(table.select()):
                assert leaks(repr(tuple(row))) == [], table.name
    engine.dispose()
    forget_databases()

    # Prefect: flow runs (parameters, states), task runs, logs and artifacts.
    prefect_text = read_prefect_records()
    assert "putin-visit" in prefect_text  # the report artifact is there
    assert leaks(prefect_text) == []


def read_prefect_records() -> str:
    """Everything the Prefect server holds about runs, as one text."""
    from prefect.client.orchestration import get_client

    parts: list[str] = []
    with get_client(sync_client=True) as client:
        for flow_run in client.read_flow_runs(limit=200):
            parts += [repr(flow_run.parameters), repr(flow_run.state), flow_run.name]
        for task_run in client.read_task_runs(limit=200):
            parts += [repr(task_run.task_inputs), repr(task_run.state), task_run.name]
        for artifact in client.read_artifacts(limit=200):
            parts += [repr(artifact.data), repr(artifact.description), repr(artifact.key)]
        offset = 0
        while logs := client.read_logs(limit=200, offset=offset):
            parts += [log.message for log in logs]
            offset += len(logs)
    return "\n".join(parts)
