import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import DataError, DBAPIError, OperationalError

from store.db import (
    LATEST_MIGRATION,
    DatabaseURLError,
    alembic_config,
    create_db_engine,
    database_unavailable,
    read_session_factory,
    session_factory,
    upgrade,
)
from store.models import Story


def test_first_use_creates_every_table(database_url):
    factory = session_factory(database_url)
    tables = set(inspect(factory.kw["bind"]).get_table_names())
    assert {"articles", "stories", "matches", "deliveries", "crawl_runs"} <= tables


def test_latest_migration_is_the_only_head_of_the_scripts():
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [LATEST_MIGRATION], (
        "a new migration: set store.db.LATEST_MIGRATION to its revision (one head only)")


def test_upgrade_is_idempotent(database_url):
    engine = create_db_engine(database_url)
    upgrade(engine)
    assert upgrade(engine) is False


def test_bad_url_is_named():
    try:
        create_db_engine("nonsense")
    except DatabaseURLError as exc:
        assert "nonsense" in str(exc)
    else:
        raise AssertionError("expected DatabaseURLError")


def test_a_reader_does_not_wait_for_a_writer_on_sqlite(sqlite_url):
    writer = session_factory(sqlite_url)
    with writer.begin() as session:
        session.add(Story(title="committed", created=datetime.now(UTC)))
    answers: list[tuple[int | None, float]] = []

    def read() -> None:
        started = time.perf_counter()
        with read_session_factory(sqlite_url)() as session:
            count = session.scalar(select(func.count()).select_from(Story))
        answers.append((count, time.perf_counter() - started))

    with writer.begin() as session:  # holds SQLite's write lock until the block ends
        session.add(Story(title="not yet", created=datetime.now(UTC)))
        session.flush()
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)
        assert answers, "the reader waited for the writer"
    assert answers[0][0] == 1  # the committed row, not the one in flight
    assert answers[0][1] < 5


def test_a_read_only_session_cannot_write_on_postgresql(postgres_url):
    with read_session_factory(postgres_url)() as session:
        session.add(Story(title="T", created=datetime.now(UTC)))
        with pytest.raises(DBAPIError, match="read-only"):
            session.flush()


def test_only_an_unavailable_database_is_worth_trying_again():
    assert database_unavailable(OperationalError("SELECT 1", {}, Exception("database is locked")))
    lost = DataError("SELECT 1", {}, Exception("server closed the connection"),
                     connection_invalidated=True)
    assert database_unavailable(lost)
    assert not database_unavailable(DataError("SELECT 1", {}, Exception("timestamp too large")))
    assert not database_unavailable(ValueError("Invalid isoformat string"))
