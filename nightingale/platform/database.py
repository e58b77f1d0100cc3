"""The governance database: one declarative base, one session pattern, Alembic migrations.

SQLite (the default, a file in the data root) and PostgreSQL behave the same: tests run
every database behaviour on both. Each domain package keeps its own migrations in
``nightingale/<package>/migrations/versions`` as an Alembic branch that starts from the
platform's base revision; ``upgrade`` always targets all heads. The schema is only ever
changed by migrations, never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session

from nightingale.platform.errors import ConfigurationError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of every package."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``options`` go to ``create_engine`` (the web service sizes its connection pool).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, **({"future": True, "pool_pre_ping": True} | options))
    except Exception as exc:
        raise ConfigurationError(f"cannot use database URL {redact_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0] + ":..."


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception.

    A plain :class:`Session`, not a ``sessionmaker``: each of those makes a new Session
    subclass, whose event set-up cost the web service more than its queries.
    """
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def version_locations() -> list[Path]:
    """The platform's migrations plus every domain package's ``migrations/versions``."""
    found = [MIGRATIONS / "versions"]
    for package in sorted(PACKAGE_ROOT.iterdir()):
        candidate = package / "migrations" / "versions"
        if package.name != "platform" and candidate.is_dir():
            found.append(candidate)
    return found


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs against ``engine`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_locations", " ".join(str(p) for p in version_locations()))
    config.set_main_option("path_separator", "space")
    config.attributes["engine"] = engine
    return config


def code_heads(engine: Engine) -> set[str]:
    """The head revisions this code knows."""
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def database_heads(engine: Engine) -> set[str]:
    """The revisions the database is at (empty when never migrated)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def check_not_newer(engine: Engine) -> None:
    """Refuse a database migrated by newer code: running old code on it risks damage."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = database_heads(engine) - known
    if unknown:
        raise ConfigurationError(
            f"database {redact_url(str(engine.url))} is at revision(s) "
            f"{', '.join(sorted(unknown))} "
            "which this version of Nightingale does not know: it was migrated by newer code. "
            "Upgrade Nightingale; nothing was changed."
        )


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Migrate the database up to ``target`` (all heads by default)."""
    check_not_newer(engine)
    command.upgrade(alembic_config(engine), target)


def downgrade(engine: Engine, target: str = "base") -> None:
    """Migrate the database down to ``target``."""
    command.downgrade(alembic_config(engine), target)


def is_up_to_date(engine: Engine) -> bool:
    """Whether the database is at exactly the code's heads."""
    return database_heads(engine) == code_heads(engine)
