from sqlalchemy import inspect

from store.db import DatabaseURLError, create_db_engine, session_factory, upgrade


def test_first_use_creates_every_table(database_url):
    factory = session_factory(database_url)
    tables = set(inspect(factory.kw["bind"]).get_table_names())
    assert {"articles", "stories", "matches", "deliveries", "crawl_runs"} <= tables


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
