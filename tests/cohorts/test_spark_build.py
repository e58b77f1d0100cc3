"""A release built on Spark is the release built on DuckDB, file for file.

The same spec over the same zones, once through each engine's adapter: both Parquet
files must hold the same schema and the same rows in the same order (the builder sorts
by pseudonym and period), so a researcher cannot tell which engine built their release.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
import pytest

from nightingale.cohorts.build import build_release
from nightingale.cohorts.engines import DuckDBEngine, SparkEngine
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot
from tests.cohorts.conftest import PILOT_SPEC, pilot_demographics

pytestmark = pytest.mark.spark

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_spark_builds_the_same_release_as_duckdb(
    region: DataRoot, keystore: KeyStore, duckdb_engine: DuckDBEngine, spark_session: Any
) -> None:
    # Staged inputs go where executors can read them: the data root's identifier zone.
    spark = SparkEngine(spark_session, scratch_parent=region.linkage)
    built = {}
    try:
        for name, engine in (("duckdb", duckdb_engine), ("spark", spark)):
            built[name] = build_release(
                region,
                keystore,
                engine,
                spec_text=PILOT_SPEC.read_text(),
                project="dfh-pilot",
                request_id="7",
                release_id=f"on-{name}",
                demographics=pilot_demographics(),
                now=NOW,
            )
        assert spark.scratch.parent == region.linkage
        assert spark.scratch.stat().st_mode & 0o777 == 0o700
        assert list(spark.scratch.glob("*.parquet")), "the demographics were staged as Parquet"
    finally:
        spark.close()
    assert not spark.scratch.exists()
    assert built["spark"].manifest.engine == "spark"
    for file_name in ("persons.parquet", "panel.parquet"):
        on_duckdb = pq.read_table(built["duckdb"].path / file_name)
        on_spark = pq.read_table(built["spark"].path / file_name)
        assert on_duckdb.num_rows > 0
        assert on_spark.schema == on_duckdb.schema, file_name
        assert on_spark.to_pylist() == on_duckdb.to_pylist(), file_name
    assert built["spark"].manifest.files == built["duckdb"].manifest.files
