"""Opening the database: one sessionmaker per URL, migrated to the latest schema on first use.

``read_session_factory`` gives sessions on the same engine for code that only reads (the crawl
children's lookups): on SQLite they never wait for a writer.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration. A database already there is opened without loading Alembic (a tenth
#: of a second at every start); tests/store/test_db.py checks this against the scripts.
LATEST_MIGRATION = "0008"
SQLITE_BUSY_TIMEOUT_S = 30
# Pages of the first GiB of the file are read from memory rather than with a read() call each,
# so index lookups (story_keys, canonical URLs) cost about the same in a large store as in a
# small one (bench/bench_stories.py).
SQLITE_MMAP_BYTES = 1 << 30
_POSTGRES_MIGRATION_LOCK = 5_120_001  # pg_advisory_lock key: one migrator at a time

_upgrade_lock = threading.Lock()
_factories_lock = threading.Lock()
_factories: dict[str, sessionmaker[Session]] = {}
_readers: dict[str, sessionmaker[Session]] = {}
_READ_ONLY = "newswatch_read_only"  # execution option of read_session_factory's engine


class DatabaseURLError(ValueError):
    """The database URL cannot be used; the message says which URL (password hidden) and why."""


def database_problem(url: str, exc: SQLAlchemyError) -> str:
    """One line for a database that failed: which one (password hidden) and the driver's reason,
    without SQLAlchemy's SQL echo and background link."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = "(unparsable URL)"
    return f"database {shown}: {database_reason(exc)}"


def database_reason(exc: BaseException) -> str:
    """The driver's reason for a database error, in one line (no SQL, no parameters)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    reason = lines[0] if lines else type(cause).__name__
    if "(Background on this error" in reason:
        reason = reason.split("(Background on this error")[0].strip()
    hint = lines[1] if len(lines) > 1 and lines[1].endswith("?") else ""
    return reason[:300] + (f" ({hint})" if hint else "")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database was briefly unavailable (connection lost, busy, a
    serialization conflict): worth trying again, unlike a bug or bad data."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets a busy timeout and foreign keys, its folder is created."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseURLError(f"database URL {url!r} is not a SQLAlchemy URL") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001
            # Transactions are begun by the "begin" hook below, not by the driver.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):  # noqa: ANN001
            # A deferred transaction that later writes can deadlock with another writer and
            # fail at once with "database is locked"; taking the write lock up front makes the
            # busy timeout apply instead. A read-only session (``read_session_factory``) takes
            # no lock at all, so WAL lets it read while another process writes: a crawl
            # child's lookups do not wait for the flow storing another site's crawl.
            if connection.get_execution_options().get(_READ_ONLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(parsed, pool_pre_ping=True)


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the latest migrations; returns whether anything was applied."""
    with _upgrade_lock, engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:k)")
            connection.execute(lock, {"k": _POSTGRES_MIGRATION_LOCK})
        if _applied(connection) == {LATEST_MIGRATION}:
            return False
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = alembic_config()
        heads = set(ScriptDirectory.from_config(cfg).get_heads())
        current = set(MigrationContext.configure(connection).get_current_heads())
        if current == heads:
            return False
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
        return True


def _applied(connection: Connection) -> set[str]:
    """The migrations the database says it is at (Alembic's own table), read without Alembic."""
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return set(connection.scalars(text("SELECT version_num FROM alembic_version")))


def session_factory(url: str) -> sessionmaker[Session]:
    """The sessionmaker for ``url``, with the schema migrated on first use in this process."""
    with _factories_lock:
        if url not in _factories:
            engine = create_db_engine(url)
            upgrade(engine)
            _factories[url] = sessionmaker(engine, expire_on_commit=False)
        return _factories[url]


def read_session_factory(url: str) -> sessionmaker[Session]:
    """Sessions for reading only, on the engine of ``session_factory(url)``.

    On SQLite their transactions begin deferred, so they never wait for a writer in another
    process (WAL); on PostgreSQL they are ``READ ONLY`` transactions. Write through
    ``session_factory``: a write here would lose the busy timeout on SQLite.
    """
    factory = session_factory(url)
    with _factories_lock:
        if url not in _readers:
            engine = factory.kw["bind"]
            options = {_READ_ONLY: True}
            if engine.dialect.name == "postgresql":
                options["postgresql_readonly"] = True
            _readers[url] = sessionmaker(engine.execution_options(**options),
                                         expire_on_commit=False)
        return _readers[url]


def insert_new(session: Session, table: Table, *unique: str,
               returning: Column[Any] | None = None) -> Insert:
    """``INSERT`` into ``table`` that skips a row whose ``unique`` columns are taken.

    With ``returning``, a skipped row returns nothing: one statement says whether this
    transaction was first, where a look-up, a savepoint and the insert took three and more. On
    PostgreSQL the insert waits for a concurrent transaction holding the same key. Pass the
    values as parameters: the statement is built once per table and dialect.
    """
    return _insert_new(session.get_bind().dialect.name, table, unique, returning)


@functools.cache
def _insert_new(dialect: str, table: Table, unique: tuple[str, ...],
                returning: Column[Any] | None) -> Insert:
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    return statement if returning is None else statement.returning(returning)


def forget_databases() -> None:
    """Drop every cached engine (tests that recreate a database between runs use this)."""
    with _factories_lock:
        for factory in _factories.values():
            factory.kw["bind"].dispose()
        _factories.clear()
        _readers.clear()
