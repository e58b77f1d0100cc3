"""``nightingale doctor``: one line per check, and a plain explanation when one fails."""

from __future__ import annotations

import stat
from dataclasses import dataclass

from nightingale.platform import database
from nightingale.platform.engines import duckdb_connection, spark_available
from nightingale.platform.errors import NightingaleError
from nightingale.platform.instance import recorded_instance_ids
from nightingale.platform.keystore import PURPOSES, FileKeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot


@dataclass(frozen=True)
class Check:
    """One check's outcome; ``ok=None`` is informational (neither pass nor fail)."""

    name: str
    ok: bool | None
    detail: str


def _data_root(root: DataRoot) -> Check:
    try:
        marker = root.read_marker()
    except NightingaleError as exc:
        return Check("data root", False, str(exc))
    mode = stat.S_IMODE(root.path.stat().st_mode)
    if mode & 0o007:
        return Check(
            "data root", False, f"{root.path} is open to others (mode {mode:04o}); chmod o-rwx"
        )
    missing = [z.name for z in root.zones() if not z.is_dir()]
    if missing:
        return Check(
            "data root", False, f"missing zones: {', '.join(missing)}; run 'nightingale init'"
        )
    return Check("data root", True, f"{root.path} (instance {marker['instance_id']})")


def _keys(root: DataRoot) -> Check:
    store = FileKeyStore(root.keys)
    held = []
    try:
        for purpose in PURPOSES:
            if not store.versions(purpose):
                return Check("keys", False, f"no '{purpose}' key; run 'nightingale init'")
            for version in store.versions(purpose):
                store.get(f"{purpose}-v{version}")
            held.append(store.current(purpose).key_id)
    except NightingaleError as exc:
        return Check("keys", False, str(exc))
    return Check("keys", True, f"{', '.join(held)} (files 0600)")


def _database(settings: Settings, root: DataRoot) -> Check:
    url = settings.resolved_database_url
    if settings.database_url is None and not (root.path / "nightingale.db").is_file():
        return Check("database", False, "no database in the data root; run 'nightingale init'")
    try:
        engine = database.make_engine(url)
        try:
            database.check_not_newer(engine)
            if not database.is_up_to_date(engine):
                return Check(
                    "database", False, "not migrated to the latest revision; run 'nightingale init'"
                )
            with database.session_scope(engine) as session:
                recorded = recorded_instance_ids(session)
        finally:
            engine.dispose()
    except NightingaleError as exc:
        return Check("database", False, str(exc))
    except Exception as exc:
        return Check("database", False, f"{database.redact_url(url)} unreachable: {exc}")
    try:
        expected = root.read_marker().get("instance_id")
    except NightingaleError:
        expected = None
    if expected and recorded != [expected]:
        return Check("database", False, f"belongs to another data root (instance {recorded})")
    return Check("database", True, f"{database.redact_url(url)} at the latest revision")


def _duckdb(settings: Settings) -> Check:
    try:
        connection = duckdb_connection(settings)
        (value,) = connection.sql("select 42").fetchall()[0]
        connection.close()
    except Exception as exc:
        return Check("duckdb", False, f"unusable: {exc}")
    return Check(
        "duckdb", value == 42, f"{settings.duckdb_threads} threads, {settings.duckdb_memory_limit}"
    )


def _spark(settings: Settings) -> Check:
    available = spark_available()
    if settings.engine == "spark":
        return Check(
            "spark",
            available,
            "available" if available else "engine is 'spark' but pyspark is not installed",
        )
    return Check(
        "spark", None, "available" if available else "not installed (optional extra 'spark')"
    )


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in a fixed order."""
    root = DataRoot(settings.data_root)
    return [
        _data_root(root),
        _keys(root),
        _database(settings, root),
        _duckdb(settings),
        _spark(settings),
    ]
