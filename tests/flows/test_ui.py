"""``newswatch ui``: a Prefect server with Newswatch's home, found by the other commands."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from flows.cli import prefect_defaults
from flows.server import free_port
from tests.conftest import POSTGRES_URL

STARTUP_S = 180


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def prefect_database(backend: str) -> str | None:
    """Prefect's own database for the server: None (SQLite in its home) or a PostgreSQL one
    beside the test app database (``..._prefect``), made empty."""
    if backend == "sqlite":
        return None
    if not POSTGRES_URL:
        pytest.skip("NEWSWATCH_TEST_DATABASE_URL is not set (CI sets it to the local PostgreSQL)")
    app = make_url(POSTGRES_URL)
    name = f"{app.database}_prefect"
    engine = create_engine(app.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = app.set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ui_starts_the_server_prints_its_address_and_stops_on_sigterm(tmp_path, backend):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["NEWSWATCH_HOME"] = str(tmp_path)
    database = prefect_database(backend)
    if database:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database
    ui = subprocess.Popen(
        [str(Path(sys.executable).with_name("newswatch")), "ui", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        for line in ui.stdout:
            if line.startswith("newswatch: Prefect UI at"):
                break
            assert time.monotonic() < deadline
        assert line.split()[4] == f"http://127.0.0.1:{port}"
        assert f"(home {tmp_path / 'prefect'})" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as answer:
            assert answer.status == 200
        # The UI finds the API where it really is, not on Prefect's default port.
        assert get_json(f"http://127.0.0.1:{port}/ui-settings")["api_url"] == (
            f"http://127.0.0.1:{port}/api")
        ui_settings = get_json(f"http://127.0.0.1:{port}/api/admin/settings")["server"]["ui"]
        assert ui_settings["show_promotional_content"] is False
        record = json.loads((tmp_path / "prefect" / "server.json").read_text())
        assert record["api_url"] == f"http://127.0.0.1:{port}/api"
        sqlite_file = tmp_path / "prefect" / "prefect.db"
        assert sqlite_file.exists() == (database is None)
        if database:  # Prefect made its tables in PostgreSQL
            engine = create_engine(make_url(database).set(drivername="postgresql+psycopg"))
            with engine.connect() as connection:
                assert connection.scalar(text("SELECT count(*) FROM flow_run")) == 0
            engine.dispose()

        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=60) == 0
        assert not (tmp_path / "prefect" / "server.json").exists()
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5)
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()


def test_ui_with_a_server_already_there_says_so(newswatch, prefect_api_url):
    port = urlsplit(prefect_api_url).port
    result = newswatch("ui", "--port", str(port), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == (
        f"newswatch: the Prefect UI is already running at http://127.0.0.1:{port}"
    )


@pytest.mark.parametrize("alive", [True, False])
def test_commands_report_to_the_running_newswatch_server(tmp_path, monkeypatch, alive):
    environ = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    monkeypatch.setattr(os, "environ", {**environ, "NEWSWATCH_HOME": str(tmp_path)})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = os.getpid() if alive else int(dead.stdout)
    (tmp_path / "prefect").mkdir()
    (tmp_path / "prefect" / "server.json").write_text(
        json.dumps({"pid": pid, "api_url": "http://127.0.0.1:4321/api"})
    )
    prefect_defaults()
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "prefect")
    assert os.environ.get("PREFECT_API_URL") == ("http://127.0.0.1:4321/api" if alive else None)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("where", [["--host", "0.0.0.0"], ["--host", "::"], "environment"])
def test_ui_refuses_to_open_the_api_to_the_network_without_a_password(tmp_path, where):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["NEWSWATCH_HOME"] = str(tmp_path)
    args = where
    if where == "environment":
        env["PREFECT_SERVER_API_HOST"] = "0.0.0.0"
        args = []
    result = subprocess.run(
        [str(Path(sys.executable).with_name("newswatch")), "ui", "--port", str(port), *args],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    host = args[1] if args else "0.0.0.0"
    assert result.stderr.splitlines() == [
        f"newswatch: --host {host} would open the Prefect API, which starts flow runs and shows "
        "every run's logs, to the network without a password; set "
        "PREFECT_SERVER_API_AUTH_STRING=user:password (and PREFECT_API_AUTH_STRING on the "
        "clients), or listen on 127.0.0.1"]
    assert not listening(port)


def test_ui_on_every_address_asks_for_the_password(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(NEWSWATCH_HOME=str(tmp_path), PREFECT_SERVER_API_AUTH_STRING="admin:pa55-4200")
    ui = subprocess.Popen(
        [str(Path(sys.executable).with_name("newswatch")), "ui", "--host", "0.0.0.0",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        for line in ui.stdout:
            if line.startswith("newswatch: `newswatch run`"):
                break
            assert time.monotonic() < deadline
        assert line.rstrip().endswith("and PREFECT_API_AUTH_STRING")
        api = f"http://127.0.0.1:{port}/api"

        def post(password: str | None) -> int:
            request = urllib.request.Request(f"{api}/flows/filter", data=b"{}", method="POST",
                                             headers={"Content-Type": "application/json"})
            if password:
                token = base64.b64encode(f"admin:{password}".encode()).decode()
                request.add_header("Authorization", f"Basic {token}")
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status
            except urllib.error.HTTPError as error:
                return error.code

        assert post(None) == 401
        assert post("wrong") == 401
        assert post("pa55-4200") == 200
        with urllib.request.urlopen(f"{api}/health", timeout=10) as answer:  # probes stay open
            assert answer.status == 200
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(timeout=60) == 0
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()


# -- the UI in a browser ----------------------------------------------------------------------

#: Where the check saves its screenshots; the README's are made with
#: ``NEWSWATCH_UI_SCREENSHOTS=docs .venv/bin/python -m pytest tests/flows/test_ui.py -k browser``.
SCREENSHOTS = os.environ.get("NEWSWATCH_UI_SCREENSHOTS")
_UI_WAIT_MS = 20_000  # virtual time the page gets to load and ask the API


def open_in_chromium(url: str, work: Path, *, screenshot: Path | None = None) -> str:
    """The page's DOM once its scripts ran, as headless Chromium shows it; or a PNG of it."""
    from tests.alerts.browser import _FLAGS, require_chromium

    action = [f"--screenshot={screenshot.resolve()}"] if screenshot else ["--dump-dom"]
    done = subprocess.run(
        [require_chromium(), *_FLAGS, f"--user-data-dir={work / 'chromium'}",
         "--window-size=1400,1000", f"--virtual-time-budget={_UI_WAIT_MS}", *action, url],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def post_json(url: str, body: dict) -> list[dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_the_ui_in_a_browser_shows_the_run_its_failed_task_and_its_report(
    tmp_path, sqlite_url, sample_site
):
    from tests.alerts.browser import require_chromium
    from tests.flows.test_run import closed_port, write_config

    require_chromium()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["NEWSWATCH_HOME"] = str(tmp_path / "home")
    command = str(Path(sys.executable).with_name("newswatch"))
    ui = subprocess.Popen([command, "ui", "--port", str(port)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        for line in ui.stdout:
            if line.startswith("newswatch: Prefect UI at"):
                break
            assert time.monotonic() < deadline
        config = Path(write_config(tmp_path, sqlite_url, sample_site, {}))
        spec = yaml.safe_load(config.read_text())
        spec["sites"].append({"name": "deadsite",
                              "feeds": [f"http://127.0.0.1:{closed_port()}/rss.xml"]})
        config.write_text(yaml.safe_dump(spec))
        run = subprocess.run([command, "run", "--config", str(config)], env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 1, run.stderr[-3000:]  # it reported to the server of `ui`

        [flow_run] = post_json(f"{base}/api/flow_runs/filter", {})
        report = next(a for a in post_json(f"{base}/api/artifacts/filter", {})
                      if a["key"] == "newswatch-report-all-sites")
        run_page = f"{base}/runs/flow-run/{flow_run['id']}"
        report_page = f"{base}/artifacts/artifact/{report['id']}"

        runs = open_in_chromium(f"{base}/runs", tmp_path)
        assert "run-all-sites" in runs and "Oops" not in runs
        page = open_in_chromium(run_page, tmp_path)
        assert "1 of 3 sites failed: deadsite: " in page
        assert "crawl-deadsite" in page
        shown = open_in_chromium(report_page, tmp_path)
        table = shown[shown.index("<table"):shown.index("</table>")]
        for cell in (">site<", ">courier<", ">ledger<", ">deadsite<", "Connection refused"):
            assert cell in table, cell

        pictures = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
        pictures.mkdir(parents=True, exist_ok=True)
        for name, url in (("prefect-ui-run.png", run_page), ("prefect-ui-report.png", report_page)):
            open_in_chromium(url, tmp_path, screenshot=pictures / name)
            assert (pictures / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    finally:
        if ui.poll() is None:
            ui.send_signal(signal.SIGTERM)
            try:
                ui.wait(timeout=60)
            except subprocess.TimeoutExpired:
                ui.kill()
                ui.wait()
