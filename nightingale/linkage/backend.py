"""Where Splink runs: the one place that knows DuckDB from Spark.

The model (:mod:`.model`) is written once, in DuckDB's SQL. A backend gives Splink its
database API, registers the token tables, renders the model's SQL in its own dialect
(sqlglot parses DuckDB and writes Spark; the three list functions the model uses have no
automatic translation, so :func:`to_spark` maps them), counts blocking pairs and reads the
scored pairs back as pandas. Everything after scoring (deterministic links, the one-to-one
guard, connected components) runs on the driver, identically for both engines, so the
spine is the same up to person_id labels whenever Splink gives the pairs the same
weights. Training keeps them the same because the u sample is drawn on the driver
(:func:`.engine.u_sample`), not by each engine's own ``hash()``.

No similarity UDF is needed on Spark: every comparison is an exact match on keyed tokens
or an array overlap, so the Scala JAR Splink ships is not registered.

The lifecycle (``from_settings``, ``close`` or ``with``, the connection or session and
the private scratch folder) is the platform's :class:`~nightingale.platform.engines.Engine`,
shared with the cohort engines.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from nightingale.platform.engines import Engine, OnDuckDB, OnSpark
from nightingale.platform.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Columns of Splink's predictions the clustering reads (ids, weights, agreement levels).
_PAIR_PREFIXES = ("gamma_", "unique_id_", "source_dataset_")
_PAIR_COLUMNS = ("match_weight", "match_probability")


def _is_list_intersect(node: exp.Expression) -> bool:
    return isinstance(node, exp.ArrayIntersect) or (
        isinstance(node, exp.Anonymous) and node.name.lower() == "list_intersect"
    )


def _spark_node(node: exp.Expression) -> exp.Expression:
    """One function of a DuckDB tree as its Spark equivalent."""
    if isinstance(node, exp.ArrayOverlaps):  # DuckDB list_has_any (sqlglot writes `&&`)
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.Anonymous) and _is_list_intersect(node):
        return exp.ArrayIntersect(expressions=list(node.expressions))
    return node


def _spark_size(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Length) and _is_list_intersect(node.this):
        return exp.ArraySize(this=node.this)  # len() of a list is size() in Spark
    return node


def to_spark(sql: str) -> str:
    """A DuckDB condition or blocking rule of the model as Spark SQL."""
    # Two passes: a replaced node's children are not visited again by the same pass.
    tree = sqlglot.parse_one(sql, read="duckdb").transform(_spark_node).transform(_spark_size)
    return tree.sql(dialect="spark")


def _rendered(settings: dict[str, Any], render: Any) -> dict[str, Any]:
    """Splink settings with every SQL condition and blocking rule passed through ``render``."""
    comparisons = [
        {
            **comparison,
            "comparison_levels": [
                {**level, "sql_condition": render(level["sql_condition"])}
                if level["sql_condition"] != "ELSE"
                else level
                for level in comparison["comparison_levels"]
            ],
        }
        for comparison in settings["comparisons"]
    ]
    rules = [render(rule) for rule in settings["blocking_rules_to_generate_predictions"]]
    return {**settings, "comparisons": comparisons, "blocking_rules_to_generate_predictions": rules}


class LinkBackend(Engine):
    """Splink's database, seen from the linkage pipeline."""

    @property
    @abstractmethod
    def api(self) -> Any:
        """The Splink ``DatabaseAPI`` to register inputs with."""

    def register(self, table: pa.Table, display_name: str, table_name: str) -> Any:
        """Give Splink ``table`` as an input; returns the SplinkDataFrame."""
        return self.api.register(table, dataset_display_name=display_name, table_name=table_name)

    @abstractmethod
    def render(self, sql: str) -> str:
        """A model SQL fragment (DuckDB dialect) in this backend's dialect."""

    @abstractmethod
    def pair_count(self, table: pa.Table, columns: tuple[str, ...]) -> float:
        """Pairs an equality block on ``columns`` compares within ``table``."""

    @abstractmethod
    def read_pairs(self, physical_name: str) -> pd.DataFrame:
        """Ids, weights and agreement levels of Splink's scored pairs."""

    def settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Splink settings with the model's SQL rendered for this backend."""
        return _rendered(settings, self.render)

    def release_working_tables(self) -> None:
        """Free Splink's working tables once the pairs are scored and clustered.

        Nothing reads them again, and at a million people they hold gigabytes the report
        and the truth evaluation need. Spark's live on disk and go on :meth:`close`.
        """


def _wanted(columns: list[str]) -> list[str]:
    return [c for c in columns if c in _PAIR_COLUMNS or c.startswith(_PAIR_PREFIXES)]


def _pair_count_sql(view: str, columns: tuple[str, ...], quote: str) -> str:
    known = " AND ".join(f"{quote}{c}{quote} IS NOT NULL" for c in columns)
    keys = ", ".join(f"{quote}{c}{quote}" for c in columns)
    return (
        f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "
        f"(SELECT count(*) AS n FROM {view} WHERE {known} GROUP BY {keys}) AS groups"
    )


class DuckDBBackend(OnDuckDB, LinkBackend):
    """Splink on a DuckDB connection (the caller's; closed only when this backend made it)."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        owns: bool = False,
        scratch: Path | None = None,
    ) -> None:
        from splink import DuckDBAPI

        super().__init__(connection, owns, scratch)
        self._api = DuckDBAPI(connection)

    @property
    def api(self) -> Any:
        return self._api

    def render(self, sql: str) -> str:
        return sql

    def pair_count(self, table: pa.Table, columns: tuple[str, ...]) -> float:
        self.connection.register("__ng_pair_count", table)
        try:
            (pairs,) = self.connection.sql(
                _pair_count_sql("__ng_pair_count", columns, '"')
            ).fetchall()[0]
        finally:
            self.connection.unregister("__ng_pair_count")
        return float(pairs)

    def read_pairs(self, physical_name: str) -> pd.DataFrame:
        """The pairs through Arrow (repeated strings become one Python object each, and
        agreement levels are ``int8``); the predictions table is then dropped, as nothing
        reads it again and at a million people it holds a gigabyte of DuckDB's memory."""
        relation = self.connection.table(physical_name)
        table = relation.select(*_wanted(relation.columns)).to_arrow_table()
        for number, name in enumerate(table.column_names):
            if name.startswith("gamma_"):
                table = table.set_column(number, name, table.column(name).cast(pa.int8()))
        frame: pd.DataFrame = table.to_pandas()
        del table, relation
        self.connection.execute(f'DROP TABLE IF EXISTS "{physical_name}"')
        return frame

    def release_working_tables(self) -> None:
        """Drop Splink's tables and the registered inputs (views) from the connection."""
        connection = self.connection
        tables = connection.sql(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '__splink__')"
        ).fetchall()
        for (name,) in tables:
            connection.execute(f'DROP TABLE IF EXISTS "{name}"')
        views = connection.sql(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND "
            "(starts_with(view_name, '__ng_') OR starts_with(view_name, '__splink__'))"
        ).fetchall()
        for (name,) in views:
            try:
                connection.unregister(name)
            except duckdb.Error:
                connection.execute(f'DROP VIEW IF EXISTS "{name}"')


class SparkBackend(OnSpark, LinkBackend):
    """Splink's Spark backend, with inputs and intermediate tables as Parquet files.

    Inputs are written to Parquet in a scratch folder and read back, so query plans name
    files rather than embedding the rows (a DataFrame made from local data is copied into
    every plan and task: at 20,000 people that exhausted a 4 GB driver). Splink breaks
    lineage by writing its intermediate tables to Parquet in the checkpoint folder (its
    default on Spark); the scratch folder holds both and is removed on :meth:`close`.
    ``scratch_parent`` must be visible to every executor (:meth:`from_settings` uses the
    data root's identifier zone); without it, a system temporary folder (``local[*]``).
    """

    app_name: ClassVar[str] = "nightingale-linkage"

    def __init__(
        self, session: SparkSession, owns: bool = False, scratch_parent: Path | None = None
    ) -> None:
        from splink import SparkAPI

        super().__init__(session, owns, scratch_parent)
        #: input views registered in the session, dropped on close (a session may be shared)
        self.views: list[str] = []
        session.sparkContext.setCheckpointDir(str(self.scratch / "checkpoints"))
        self._api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=session,
            break_lineage_method="parquet",
            register_udfs_automatically=False,
        )

    def register(self, table: pa.Table, display_name: str, table_name: str) -> Any:
        # Spark skips files whose names start with "_" or ".", as Splink's table names do.
        path = self.scratch / "inputs" / f"input{table_name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        frame = self.session.read.parquet(str(path))
        self.views.append(table_name)
        return self.api.register(frame, dataset_display_name=display_name, table_name=table_name)

    @property
    def api(self) -> Any:
        return self._api

    def render(self, sql: str) -> str:
        return to_spark(sql)

    def pair_count(self, table: pa.Table, columns: tuple[str, ...]) -> float:
        view = "__ng_pair_count"
        path = self.scratch / f"pairs_{'_'.join(columns)}.parquet"
        pq.write_table(table.select(list(columns)), path)
        self.session.read.parquet(str(path)).createOrReplaceTempView(view)
        try:
            (pairs,) = self.session.sql(_pair_count_sql(view, columns, "`")).collect()[0]
        finally:
            self.session.catalog.dropTempView(view)
        return float(pairs)

    def read_pairs(self, physical_name: str) -> pd.DataFrame:
        frame = self.session.table(physical_name)
        frame = frame.select(*_wanted(frame.columns))
        pairs: pd.DataFrame = frame.toArrow().to_pandas()
        return pairs

    def release(self) -> None:
        if not self.owns:
            for view in self.views:
                self.session.catalog.dropTempView(view)
        super().release()


def backend_for(settings: Settings) -> LinkBackend:
    """The configured backend (``settings.engine``), owning the connection it opens."""
    if settings.engine == "spark":
        return SparkBackend.from_settings(settings)
    return DuckDBBackend.from_settings(settings)


def as_backend(connection: duckdb.DuckDBPyConnection | LinkBackend) -> LinkBackend:
    """A backend for callers that still pass a DuckDB connection."""
    if isinstance(connection, LinkBackend):
        return connection
    return DuckDBBackend(connection)
