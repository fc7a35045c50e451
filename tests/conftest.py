"""Fixtures every test room shares: a clean environment and the databases."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

# Read once, before the autouse fixture below clears NEWSWATCH_* for each test.
POSTGRES_URL = os.environ.get("NEWSWATCH_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSWATCH_* setting from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("NEWSWATCH_"):
            monkeypatch.delenv(name)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'newswatch.db'}"


@pytest.fixture
def postgres_url() -> str:
    """The CI PostgreSQL database, emptied; skips when NEWSWATCH_TEST_DATABASE_URL is not set."""
    if not POSTGRES_URL:
        pytest.skip("NEWSWATCH_TEST_DATABASE_URL is not set (CI sets it to the local PostgreSQL)")
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite and, when available, on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


def reset_postgres(url: str) -> None:
    from store.db import forget_databases

    forget_databases()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
