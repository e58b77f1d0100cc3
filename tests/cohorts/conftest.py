"""Cohort fixtures: one ``engine`` fixture over DuckDB and Spark (ehrQL's pattern).

The Spark variant uses the session-wide ``spark_session`` of tests/conftest.py (shared
with the linkage tests); only tests that ask for it pay for Spark's start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nightingale.cohorts.engines import CohortEngine, DuckDBEngine, SparkEngine
from nightingale.platform.contracts import Demographics
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


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CohortEngine]:
    """A cohort engine per test module: DuckDB in memory, or views on the shared Spark."""
    adapter: CohortEngine
    if request.param == "duckdb":
        adapter = DuckDBEngine.from_settings(Settings(data_root=tmp_path_factory.mktemp("var")))
    else:
        adapter = SparkEngine(request.getfixturevalue("spark_session"))
    yield adapter
    adapter.close()


def pilot_demographics() -> Demographics:
    """The pilot region's demographics as linkage publishes them (the contract's table)."""
    return Demographics(
        versions={"employment": "v1", "health": "v1", "housing": "v1"},
        table=pilot_fixture.TABLES["linkage.demographics"],
    )


def write_region(root: DataRoot, keystore: KeyStore) -> None:
    """Write the hand-made pilot region in the zone layout (content, sealed identifiers, spine).

    Cohorts' own tests pass :func:`pilot_demographics` to the builder; the sealed
    identifiers are there for linkage to publish from (the operations' tests).
    """
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
