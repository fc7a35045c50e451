"""``newswatch watch test`` and ``watch list`` over a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from alerts.watching import match_articles
from flows.cli import main
from store.articles import save_articles
from store.db import session_factory
from store.items import Article as Crawled

NOW = datetime.now(UTC)


def crawled(slug: str, title: str, text: str, *, site="courier", age=timedelta(hours=1)):
    url = f"https://{site}.example/world/{slug}"
    return Crawled(
        url=url,
        canonical_url=url,
        site=site,
        title=title,
        text=text,
        published=NOW - age,
        fetched=NOW - age,
        language="en",
    )


@pytest.fixture
def config(tmp_path, sqlite_url, monkeypatch) -> str:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    articles = [
        crawled(
            "putin-china",
            "Putin to visit China",
            "The Kremlin confirmed the trip. It is his second visit this year.",
        ),
        crawled(
            "farm",
            "EU farm subsidies",
            "Ministers agreed the overhaul.",
        ),
        crawled("old-putin", "Putin visited Minsk", "An old story.", age=timedelta(days=60)),
        crawled(
            "putin-ledger",
            "Kremlin confirms Putin trip",
            "Putin will visit Beijing.",
            site="ledger",
        ),
        crawled("escape", "Putin visit \x1b[31mred\x1b[0m", "Nothing else."),
    ]
    with session_factory(sqlite_url).begin() as session:
        saved = save_articles(session, articles)
        match_articles(session, [s.article_id for s in saved], {"putin": "Putin visit"}, {})
    path = tmp_path / "newswatch.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": sqlite_url,
                "channels": {"team": "json://127.0.0.1:9/x"},
                "watches": [
                    {"name": "putin", "query": "Putin visit", "notify": ["team"]},
                    {"name": "xi", "query": "Xi Jinping", "notify": ["team"]},
                ],
            }
        )
    )
    return str(path)


def test_watch_test_prints_each_match_with_marks(config, capsys):
    assert main(["watch", "test", "Putin visit", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "Putin to visit China\n  courier · " in out
    assert "*Putin* to *visit* China" in out
    assert "Kremlin confirms Putin trip" in out
    assert "EU farm subsidies" not in out
    assert "Minsk" not in out  # older than --since
    assert "\x1b" not in out  # scraped control characters never reach the terminal
    assert out.strip().endswith("3 articles matched 'Putin visit' since 30d ago.")


def test_watch_test_since_and_site(config, capsys):
    assert (
        main(
            [
                "watch",
                "test",
                "Putin visit",
                "--since",
                "90d",
                "--site",
                "ledger",
                "--config",
                config,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Kremlin confirms Putin trip" in out and "China" not in out
    assert out.strip().endswith("1 article matched 'Putin visit' since 90d ago on ledger.")


def test_watch_test_reports_query_errors_with_position(config, capsys):
    assert main(["watch", "test", "Putin (visit", "--config", config]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("newswatch: query: ") and "position 6" in err


def test_watch_test_names_a_bad_since_in_one_line(config, capsys):
    assert main(["watch", "test", "Putin", "--since", "a while", "--config", config]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("newswatch: --since: 'a while' is not a duration") and "\n" not in err


def test_watch_list_shows_recent_match_counts(config, capsys):
    assert main(["watch", "list", "--config", config]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["putin", "4", "team", "Putin", "visit"]
    assert lines[2].split() == ["xi", "0", "team", "Xi", "Jinping"]
