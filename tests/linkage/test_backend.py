"""The DuckDB backend gives back Splink's working memory once a run has its pairs."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from nightingale.linkage.backend import DuckDBBackend


def test_releasing_drops_splink_tables_and_registered_inputs_but_nothing_else() -> None:
    connection = duckdb.connect()
    backend = DuckDBBackend(connection)
    backend.register(pa.table({"unique_id": ["1", "2"]}), "health", "__ng_source_0")
    connection.execute("CREATE TABLE __splink__df_predict AS SELECT 1 AS x")
    connection.execute("CREATE TABLE kept AS SELECT 1 AS x")
    names = {name for (name,) in connection.sql("SHOW TABLES").fetchall()}
    assert {"__ng_source_0", "__splink__df_predict", "kept"} <= names

    backend.release_working_tables()

    assert {name for (name,) in connection.sql("SHOW TABLES").fetchall()} == {"kept"}
    connection.close()
