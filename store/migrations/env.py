"""Alembic environment: runs on the connection store.db hands over, on SQLite and PostgreSQL."""

from alembic import context
from sqlalchemy import create_engine

from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite has no ALTER for most changes; batch mode is safe everywhere
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
