"""Cohort fixtures: one ``engine`` fixture over DuckDB and Spark (ehrQL's pattern).

Spark starts once per test session (about ten seconds) and is stopped at the end; only
tests that ask for the Spark variant of ``engine`` pay for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from nightingale.cohorts.engines import CohortEngine, DuckDBEngine, SparkEngine
from nightingale.platform.settings import Settings


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
    yield session
    session.stop()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[CohortEngine]:
    """A fresh cohort engine: DuckDB in memory, or a view namespace on the shared Spark."""
    adapter: CohortEngine
    if request.param == "duckdb":
        adapter = DuckDBEngine.from_settings(Settings(data_root=tmp_path / "var"))
    else:
        adapter = SparkEngine(request.getfixturevalue("spark_session"))
    yield adapter
    adapter.close()
