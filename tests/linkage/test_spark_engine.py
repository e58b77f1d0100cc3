"""Linkage on Spark gives the same spine as on DuckDB, up to person_id labels.

The hand-made region (twins, a father and son with one name, nicknames, typos) is linked
once on each engine by the same ``link`` call; the spines must group records into the
same persons. Person ids are compared only as partitions of records, which is all the
issue promises.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pytest

from nightingale.linkage.backend import DuckDBBackend, SparkBackend, to_spark
from nightingale.linkage.link import link
from nightingale.platform import database
from nightingale.platform.storage import read_parquet
from tests.linkage.conftest import Platform

pytestmark = pytest.mark.spark


def _partition(platform: Platform, run_id: str) -> set[frozenset[tuple[str, str]]]:
    spine: pd.DataFrame = read_parquet(platform.root.linkage / "spine" / run_id / "spine.parquet")
    return {
        frozenset(zip(group["source"], group["record_id"], strict=True))
        for _person, group in spine.groupby("person_id")
    }


def _link(platform: Platform, backend: Any) -> str:
    with database.session_scope(platform.engine) as session:
        summary = link(session, platform.root, platform.keystore, backend)
    return summary.run_id


def test_spark_and_duckdb_link_the_region_into_the_same_persons(
    ingested: Platform, spark_session: Any
) -> None:
    connection = duckdb.connect()
    try:
        on_duckdb = _link(ingested, DuckDBBackend(connection))
    finally:
        connection.close()
    backend = SparkBackend(spark_session)
    try:
        on_spark = _link(ingested, backend)
    finally:
        backend.close()  # removes its scratch folder; the shared session keeps running
    duckdb_persons = _partition(ingested, on_duckdb)
    assert _partition(ingested, on_spark) == duckdb_persons
    # Not a vacuous equality: the region's records do link across sources.
    assert any(len(person) > 1 for person in duckdb_persons)


def test_the_model_list_functions_are_rendered_in_spark_sql() -> None:
    assert to_spark('list_has_any("gn_nick_l", "gn_nick_r")') == (
        "ARRAYS_OVERLAP(`gn_nick_l`, `gn_nick_r`)"
    )
    assert to_spark('len(list_intersect("addr_words_l", "addr_words_r")) >= 2') == (
        "SIZE(ARRAY_INTERSECT(`addr_words_l`, `addr_words_r`)) >= 2"
    )
    assert to_spark('l."gn" = r."fn"') == "l.`gn` = r.`fn`"
