"""Cohort fixtures: one ``engine`` fixture over DuckDB and Spark (ehrQL's pattern).

Spark starts once per test session (about ten seconds) and is stopped at the end; only
tests that ask for the Spark variant of ``engine`` pay for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nightingale.cohorts.engines import CohortEngine, DuckDBEngine, SparkEngine
from nightingale.platform.encryption import seal
from nightingale.platform.keystore import KeyStore, MemoryKeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import (
    DataRoot,
    atomic_write_bytes,
    atomic_write_json,
    write_parquet,
)
from tests.cohorts import pilot_fixture

PILOT_SPEC = Path(__file__).parents[2] / "nightingale" / "cohorts" / "examples" / "dfh_pilot.yaml"


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Spark local[2] session for the whole test session, stopped at the end."""
    from nightingale.platform.engines import spark_session as make_session

    settings = Settings(data_root=tmp_path_factory.mktemp("spark-root"))
    with warnings.catch_warnings():
        # pyspark's own start-up code uses deprecated stdlib APIs (not ours to fix).
        warnings.simplefilter("ignore", DeprecationWarning)
        session = make_session(settings, app_name="nightingale-tests")
    session.sparkContext.setLogLevel("ERROR")
    # Tiny tables: one shuffle partition saves seconds per query on a shared 2-core machine.
    session.conf.set("spark.sql.shuffle.partitions", "1")
    # Code generation and adaptive planning pay off on big data; on a dozen rows they are
    # most of the test's time.
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.adaptive.enabled", "false")
    yield session
    session.stop()


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Iterator[CohortEngine]:
    """A cohort engine per test module: DuckDB in memory, or views on the shared Spark."""
    adapter: CohortEngine
    if request.param == "duckdb":
        adapter = DuckDBEngine.from_settings(Settings())
    else:
        adapter = SparkEngine(request.getfixturevalue("spark_session"))
    yield adapter
    adapter.close()


def write_region(root: DataRoot, keystore: KeyStore) -> None:
    """Write the hand-made pilot region in the zone layout (content, sealed identifiers, spine)."""
    for name, arrow in pilot_fixture.TABLES.items():
        provider, table_name = name.split(".")
        if provider == "linkage":
            continue
        write_parquet(root.content_version(provider, "v1") / f"{table_name}.parquet", arrow)
    demographics = pilot_fixture.TABLES["linkage.demographics"]
    for provider in ("health", "employment", "housing"):
        rows = [r for r in demographics.to_pylist() if r["source"] == provider]
        identifiers = pa.Table.from_pylist(
            [
                {
                    "record_id": r["record_id"],
                    "given_name": "Secret",
                    "date_of_birth": r["date_of_birth"],
                    "sex": r["sex"],
                }
                for r in rows
            ],
            schema=pa.schema(
                [
                    ("record_id", pa.string()),
                    ("given_name", pa.string()),
                    ("date_of_birth", pa.date32()),
                    ("sex", pa.string()),
                ]
            ),
        )
        sink = pa.BufferOutputStream()
        pq.write_table(identifiers, sink)
        sealed = seal(sink.getvalue().to_pybytes(), keystore, f"identifiers/{provider}")
        atomic_write_bytes(root.linkage / "identifiers" / provider / "v1.bin", sealed)
    write_parquet(root.linkage / "spine" / "run1" / "spine.parquet", pilot_fixture.SPINE)
    atomic_write_json(root.linkage / "spine" / "current.json", {"run_id": "run1"})


@pytest.fixture
def keystore() -> KeyStore:
    store = MemoryKeyStore()
    for purpose in ("pseudonym", "encryption"):
        store.ensure(purpose)
    return store


@pytest.fixture
def region(tmp_path: Path, keystore: KeyStore) -> DataRoot:
    """A data root holding the hand-made pilot region."""
    root = DataRoot(tmp_path / "var")
    write_region(root, keystore)
    return root


@pytest.fixture
def duckdb_engine(tmp_path: Path) -> Iterator[DuckDBEngine]:
    adapter = DuckDBEngine.from_settings(Settings(data_root=tmp_path / "var"))
    yield adapter
    adapter.close()
