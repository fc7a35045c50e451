"""Fixtures every test room shares: a clean environment and the databases."""

from __future__ import annotations

import functools
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _database_of_this_worker(url: str | None) -> str | None:
    """The test database for this process: under pytest-xdist, one per worker beside the
    given one (``newswatch_test_gw0``…), since each test empties its database first."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    given = make_url(url)
    return given.set(database=f"{given.database}_{worker}").render_as_string(hide_password=False)


# Read once, before the autouse fixture below clears NEWSWATCH_* for each test.
GIVEN_POSTGRES_URL = os.environ.get("NEWSWATCH_TEST_DATABASE_URL")
POSTGRES_URL = _database_of_this_worker(GIVEN_POSTGRES_URL)


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
    _create_if_missing(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@functools.cache
def _create_if_missing(url: str) -> None:
    """Make a worker's database on first use, from a connection to the given one."""
    if url == GIVEN_POSTGRES_URL or GIVEN_POSTGRES_URL is None:
        return
    name = make_url(url).database
    engine = create_engine(GIVEN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
