"""The database: migrations up and down on SQLite and PostgreSQL, newer schemas refused."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from nightingale.platform import database
from nightingale.platform.errors import ConfigurationError

# Pretend one branch was migrated by newer code (there is one row per branch head).
NEWER_REVISION = (
    "UPDATE alembic_version SET version_num = 'zz9999' "
    "WHERE version_num = (SELECT min(version_num) FROM alembic_version)"
)


def test_migrations_go_up_down_and_up_again(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        assert database.database_heads(engine) == set()
        database.upgrade(engine)
        assert database.is_up_to_date(engine)
        assert "platform_instance" in inspect(engine).get_table_names()
        database.downgrade(engine, "base")
        assert database.database_heads(engine) == set()
        assert "platform_instance" not in inspect(engine).get_table_names()
        database.upgrade(engine)
        assert database.is_up_to_date(engine)
    finally:
        engine.dispose()


def test_a_database_from_newer_code_is_refused_and_left_alone(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text(NEWER_REVISION))
        with pytest.raises(ConfigurationError, match="zz9999.*newer code"):
            database.upgrade(engine)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert "zz9999" in set(versions.scalars())
    finally:
        engine.dispose()


def test_session_scope_rolls_back_on_error(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine)
        with pytest.raises(RuntimeError), database.session_scope(engine) as session:
            session.execute(
                text(
                    "INSERT INTO platform_instance (instance_id, created_at, data_root_format) "
                    "VALUES ('x', CURRENT_TIMESTAMP, 1)"
                )
            )
            raise RuntimeError("boom")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM platform_instance")).scalar() == 0
    finally:
        engine.dispose()


def test_passwords_never_appear_in_messages() -> None:
    assert "s3cret" not in database.redact_url("postgresql://u:s3cret@h/db")
