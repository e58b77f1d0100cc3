"""Engine adapters: register the build's inputs as views, run compiled SQL, return Arrow.

One small interface and two implementations, like ehrQL's query engines: DuckDB (the
default, in-process) and Spark (``local[2]`` here, a cluster at scale). Each adapter
registers the spine as ``spine`` and each input table under its
:func:`~nightingale.cohorts.ctes.view_name`, renders the compiled query in its own
dialect (sqlglot transpiles the same tree) and hands back a ``pyarrow.Table``.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from nightingale.cohorts.compile import render
from nightingale.cohorts.ctes import SPINE_VIEW, view_name
from nightingale.platform import engines as platform_engines
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

#: An input is a Parquet file on disk or a table already in memory (decrypted identifiers).
Source: TypeAlias = Path | pa.Table


class CohortEngine(ABC):
    """Runs a cohort's queries over registered inputs."""

    dialect: str

    @abstractmethod
    def register(self, name: str, source: Source) -> None:
        """Make ``source`` queryable as the view ``name``."""

    @abstractmethod
    def run(self, query: exp.Query) -> pa.Table:
        """Run a compiled query and return its rows."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the engine's resources."""

    def register_inputs(self, spine: Source, tables: dict[str, Source]) -> None:
        """Register the spine and every catalogue table (``provider.table``) of a build."""
        self.register(SPINE_VIEW, spine)
        for table, source in tables.items():
            self.register(view_name(table), source)

    def sql(self, query: exp.Query) -> str:
        """The query as this engine runs it."""
        return render(query, self.dialect)


class DuckDBEngine(CohortEngine):
    """DuckDB in-process, with threads and memory from settings."""

    dialect = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self._keep: list[Any] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> DuckDBEngine:
        return cls(platform_engines.duckdb_connection(settings))

    def register(self, name: str, source: Source) -> None:
        if isinstance(source, pa.Table):
            self._keep.append(source)
            self.connection.register(name, source)
        else:
            self.connection.read_parquet(str(source)).create_view(name, replace=True)

    def run(self, query: exp.Query) -> pa.Table:
        table: pa.Table = self.connection.sql(self.sql(query)).to_arrow_table()
        return table

    def close(self) -> None:
        self.connection.close()


class SparkEngine(CohortEngine):
    """Spark SQL over temporary views.

    In-memory inputs (the decrypted demographics) are staged as Parquet in a private
    scratch folder and read back by path: a DataFrame made from local rows is embedded
    in every query plan and task, which at 100,000 people took several gigabytes of
    driver memory. ``scratch_parent`` must be visible to every executor
    (:meth:`from_settings` uses the data root's identifier zone). ``close`` drops the
    views and removes the scratch folder; it stops the session only when this engine
    started it, so a session shared with others (tests) keeps running.
    """

    dialect = "spark"

    def __init__(
        self,
        session: SparkSession,
        owns_session: bool = False,
        scratch_parent: Path | None = None,
    ) -> None:
        self.session = session
        self.owns_session = owns_session
        self.scratch = platform_engines.spark_scratch(scratch_parent)
        self._views: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> SparkEngine:
        session = platform_engines.spark_session(settings, app_name="nightingale-cohorts")
        return cls(session, owns_session=True, scratch_parent=DataRoot(settings.data_root).linkage)

    def register(self, name: str, source: Source) -> None:
        if isinstance(source, pa.Table):
            path = self.scratch / f"{name}.parquet"
            pq.write_table(source, path)
            source = path
        self.session.read.parquet(str(source)).createOrReplaceTempView(name)
        self._views.append(name)

    def run(self, query: exp.Query) -> pa.Table:
        frame = self.session.sql(self.sql(query))
        table: pa.Table = frame.toArrow()
        # Spark marks coalesced columns NOT NULL; DuckDB never does. Releases must not
        # depend on the engine that built them, so every column is nullable, as on DuckDB.
        nullable = pa.schema([f.with_nullable(True) for f in table.schema], table.schema.metadata)
        return table.cast(nullable)

    def close(self) -> None:
        for name in self._views:
            self.session.catalog.dropTempView(name)
        self._views.clear()
        if self.owns_session:
            self.session.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


def engine_for(settings: Settings) -> CohortEngine:
    """The configured engine (``settings.engine``)."""
    if settings.engine == "spark":
        return SparkEngine.from_settings(settings)
    return DuckDBEngine.from_settings(settings)
