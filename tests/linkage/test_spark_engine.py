"""Linkage on Spark gives the same spine as on DuckDB, up to person_id labels.

The hand-made region (twins, a father and son with one name, nicknames, typos) is linked
once on each engine by the same ``link`` call; the spines must group records into the
same persons. Person ids are compared only as partitions of records, which is all the
issue promises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import pytest

from nightingale.cli.governance_demo import intake_ready
from nightingale.linkage.backend import DuckDBBackend, SparkBackend, to_spark
from nightingale.linkage.engine import LinkOptions
from nightingale.linkage.link import link
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform import database
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, read_parquet
from nightingale.synth import SynthConfig, generate_region
from tests.linkage.conftest import Platform

pytestmark = pytest.mark.spark


def _partition(platform: Platform, run_id: str) -> set[frozenset[tuple[str, str]]]:
    spine: pd.DataFrame = read_parquet(platform.root.linkage / "spine" / run_id / "spine.parquet")
    return {
        frozenset(zip(group["source"], group["record_id"], strict=True))
        for _person, group in spine.groupby("person_id")
    }


def _link(platform: Platform, backend: Any, options: LinkOptions | None = None) -> str:
    with database.session_scope(platform.engine) as session:
        summary = link(session, platform.root, platform.keystore, backend, options)
    return summary.run_id


def _on_both_engines(
    platform: Platform, spark_session: Any, options: LinkOptions | None = None
) -> tuple[str, str]:
    """The link run ids on DuckDB and on Spark."""
    connection = duckdb.connect()
    try:
        on_duckdb = _link(platform, DuckDBBackend(connection), options)
    finally:
        connection.close()
    backend = SparkBackend(spark_session)
    try:
        on_spark = _link(platform, backend, options)
    finally:
        backend.close()  # removes its scratch folder; the shared session keeps running
    return on_duckdb, on_spark


def _probabilities(platform: Platform, run_id: str) -> dict[tuple[str, str, str], float]:
    """Every trained m and u of a run's saved model, by comparison, level and kind."""
    model = json.loads((platform.root.linkage / "spine" / run_id / "model.json").read_text())
    return {
        (comparison["output_column_name"], level["label_for_charts"], kind): level[kind]
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        for kind in ("m_probability", "u_probability")
        if kind in level
    }


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A 1,000-person synthetic region (about 2,200 records, enough to train) ingested."""
    folder = tmp_path_factory.mktemp("synthetic")
    settings = Settings(
        data_root=folder / "var", database_url=f"sqlite:///{folder / 'var' / 'nightingale.db'}"
    )
    initialise(settings)
    region = generate_region(SynthConfig(people=1000, seed=3), folder / "region")
    with open_unit(settings, "setup") as unit:
        officer = intake_ready(unit.session, unit.keystore)
    for provider in ("health", "housing", "employment"):
        with open_unit(settings, officer) as unit:
            files = sorted((region.path / "extracts" / provider).glob("*.csv"))
            linkage.ingest(unit, provider, files)
    engine = database.make_engine(settings.resolved_database_url)
    yield Platform(
        settings, DataRoot(settings.data_root), keystore_for(settings), engine, region.path, {}
    )
    engine.dispose()


def test_spark_and_duckdb_link_the_region_into_the_same_persons(
    ingested: Platform, spark_session: Any
) -> None:
    on_duckdb, on_spark = _on_both_engines(ingested, spark_session)
    duckdb_persons = _partition(ingested, on_duckdb)
    assert _partition(ingested, on_spark) == duckdb_persons
    # Not a vacuous equality: the region's records do link across sources.
    assert any(len(person) > 1 for person in duckdb_persons)


def test_after_training_spark_and_duckdb_learn_the_same_model_and_persons(
    synthetic: Platform, spark_session: Any
) -> None:
    # Trained: equal because training counts run in DuckDB whatever the engine
    # (nightingale.linkage.training), on a u sample chosen by content.
    options = LinkOptions(min_training_records=1000, u_pairs=2e5)
    on_duckdb, on_spark = _on_both_engines(synthetic, spark_session, options)
    learnt_duckdb = _probabilities(synthetic, on_duckdb)
    learnt_spark = _probabilities(synthetic, on_spark)
    assert learnt_spark.keys() == learnt_duckdb.keys()
    for key, value in learnt_duckdb.items():
        assert learnt_spark[key] == pytest.approx(value, rel=1e-12), key
    duckdb_persons = _partition(synthetic, on_duckdb)
    assert _partition(synthetic, on_spark) == duckdb_persons
    assert sum(len(person) > 1 for person in duckdb_persons) > 500


def test_the_model_list_functions_are_rendered_in_spark_sql() -> None:
    assert to_spark('list_has_any("gn_nick_l", "gn_nick_r")') == (
        "ARRAYS_OVERLAP(`gn_nick_l`, `gn_nick_r`)"
    )
    assert to_spark('len(list_intersect("addr_words_l", "addr_words_r")) >= 2') == (
        "SIZE(ARRAY_INTERSECT(`addr_words_l`, `addr_words_r`)) >= 2"
    )
    assert to_spark('l."gn" = r."fn"') == "l.`gn` = r.`fn`"
