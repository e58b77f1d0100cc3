"""Engines: one lifecycle for every engine, and scratch nobody else can read or plant.

The spill test is adversarial (issue #20, item 6): DuckDB used to spill to a fixed,
shared ``/tmp/nightingale-duckdb`` (0755, files 0644) that any local user could create
first and read; a cohort build's spill can hold decrypted dates of birth.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from nightingale.cohorts.engines import DuckDBEngine, engine_for
from nightingale.linkage.backend import DuckDBBackend, backend_for
from nightingale.platform.engines import Engine, OnDuckDB, duckdb_connection, private_scratch
from nightingale.platform.settings import Settings

OLD_SHARED_SPILL = Path(tempfile.gettempdir()) / "nightingale-duckdb"


def _spill_of(engine: OnDuckDB) -> str:
    (value,) = engine.connection.sql("SELECT current_setting('temp_directory')").fetchall()[0]
    return str(value)


def _force_a_spill(engine: OnDuckDB) -> None:
    """Sort more than the memory limit allows, so DuckDB must write to its spill folder."""
    engine.connection.execute("SET memory_limit = '64MB'; SET threads = 1")
    engine.connection.execute("SET preserve_insertion_order = false")
    engine.connection.sql(
        "SELECT count(*) FROM (SELECT md5(i::VARCHAR) AS h FROM range(4000000) t(i) ORDER BY h)"
    ).fetchall()


@pytest.fixture
def planted() -> Iterator[Path]:
    """The old shared path, created first by someone else (open to everyone if we make it)."""
    made = not OLD_SHARED_SPILL.exists()
    if made:
        OLD_SHARED_SPILL.mkdir()
        OLD_SHARED_SPILL.chmod(0o777)
    yield OLD_SHARED_SPILL
    if made:
        shutil.rmtree(OLD_SHARED_SPILL, ignore_errors=True)


@pytest.mark.parametrize("make", [DuckDBEngine.from_settings, DuckDBBackend.from_settings])
def test_duckdb_spills_to_a_fresh_private_folder_under_the_data_root(
    settings: Settings, planted: Path, make: Callable[[Settings], OnDuckDB]
) -> None:
    before = set(planted.iterdir())
    engine = make(settings)
    spill = engine.scratch
    assert spill is not None and Path(_spill_of(engine)) == spill
    assert spill.parent == settings.data_root / "linkage"
    assert spill.name.startswith(".tmp-duckdb-")
    assert spill.stat().st_mode & 0o777 == 0o700
    _force_a_spill(engine)
    assert any(spill.iterdir()), "DuckDB spilled into the private folder"
    assert set(planted.iterdir()) == before, "nothing was written to the planted folder"
    engine.close()
    assert not spill.exists()


def test_each_run_gets_its_own_spill_folder(settings: Settings) -> None:
    with DuckDBEngine.from_settings(settings) as one, DuckDBEngine.from_settings(settings) as two:
        assert one.scratch != two.scratch


def test_a_connection_without_a_spill_folder_does_not_spill_anywhere(settings: Settings) -> None:
    connection = duckdb_connection(settings)
    try:
        assert connection.sql("SELECT current_setting('temp_directory')").fetchall() == [("",)]
    finally:
        connection.close()


def test_private_scratch_is_unpredictable_and_private(tmp_path: Path) -> None:
    first, second = private_scratch("duckdb", tmp_path), private_scratch("duckdb", tmp_path)
    assert first != second
    assert {first.stat().st_mode & 0o777, second.stat().st_mode & 0o777} == {0o700}


def test_linkage_backends_and_cohort_engines_share_one_lifecycle(settings: Settings) -> None:
    for engine in (engine_for(settings), backend_for(settings)):
        assert isinstance(engine, Engine) and engine.dialect == "duckdb"
        with engine:
            scratch = engine.scratch
            assert scratch is not None and scratch.is_dir()
        assert engine.closed and not scratch.exists()
        engine.close()  # closing twice is harmless


def test_a_callers_connection_stays_open_and_has_no_scratch(settings: Settings) -> None:
    connection = duckdb.connect()
    with DuckDBEngine(connection) as engine:
        assert engine.scratch is None
    assert connection.sql("SELECT 1").fetchall() == [(1,)]
    connection.close()
