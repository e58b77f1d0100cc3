"""Engine adapters: register the build's inputs as views, run compiled SQL, return Arrow.

One small interface and two implementations, like ehrQL's query engines: DuckDB (the
default, in-process) and Spark (``local[2]`` here, a cluster at scale). Each adapter
registers the spine as ``spine`` and each input table under its
:func:`~nightingale.cohorts.ctes.view_name`, renders the compiled query in its own
dialect (sqlglot transpiles the same tree) and hands back a ``pyarrow.Table``.

The lifecycle (``from_settings``, ``close`` or ``with``, the connection or session and
the private scratch folder) is the platform's :class:`~nightingale.platform.engines.Engine`,
shared with the linkage backends; this module adds only what a cohort build does.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from nightingale.cohorts.compile import render
from nightingale.cohorts.ctes import SPINE_VIEW, view_name
from nightingale.platform.engines import Engine, OnDuckDB, OnSpark
from nightingale.platform.settings import Settings

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

#: An input is a Parquet file on disk or a table already in memory (decrypted identifiers).
Source: TypeAlias = Path | pa.Table


class CohortEngine(Engine):
    """Runs a cohort's queries over registered inputs."""

    @abstractmethod
    def register(self, name: str, source: Source) -> None:
        """Make ``source`` queryable as the view ``name``."""

    @abstractmethod
    def run(self, query: exp.Query) -> pa.Table:
        """Run a compiled query and return its rows."""

    def register_inputs(self, spine: Source, tables: dict[str, Source]) -> None:
        """Register the spine and every catalogue table (``provider.table``) of a build."""
        self.register(SPINE_VIEW, spine)
        for table, source in tables.items():
            self.register(view_name(table), source)

    def sql(self, query: exp.Query) -> str:
        """The query as this engine runs it."""
        return render(query, self.dialect)


class DuckDBEngine(OnDuckDB, CohortEngine):
    """DuckDB in-process, with threads, memory and a private spill folder from settings."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        owns: bool = False,
        scratch: Path | None = None,
    ) -> None:
        super().__init__(connection, owns, scratch)
        #: in-memory inputs stay referenced while DuckDB may scan them
        self._keep: list[Any] = []

    def register(self, name: str, source: Source) -> None:
        if isinstance(source, pa.Table):
            self._keep.append(source)
            self.connection.register(name, source)
        else:
            self.connection.read_parquet(str(source)).create_view(name, replace=True)

    def run(self, query: exp.Query) -> pa.Table:
        table: pa.Table = self.connection.sql(self.sql(query)).to_arrow_table()
        return table

    def release(self) -> None:
        self._keep.clear()
        super().release()


class SparkEngine(OnSpark, CohortEngine):
    """Spark SQL over temporary views.

    In-memory inputs (the decrypted demographics) are staged as Parquet in the engine's
    private scratch folder and read back by path: a DataFrame made from local rows is
    embedded in every query plan and task, which at 100,000 people took several
    gigabytes of driver memory. ``close`` drops the views, stops the session if this
    engine started it, and removes the scratch folder.
    """

    app_name: ClassVar[str] = "nightingale-cohorts"

    def __init__(
        self, session: SparkSession, owns: bool = False, scratch_parent: Path | None = None
    ) -> None:
        super().__init__(session, owns, scratch_parent)
        self._views: list[str] = []

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

    def release(self) -> None:
        for name in self._views:
            self.session.catalog.dropTempView(name)
        self._views.clear()
        super().release()


def engine_for(settings: Settings) -> CohortEngine:
    """The configured engine (``settings.engine``)."""
    if settings.engine == "spark":
        return SparkEngine.from_settings(settings)
    return DuckDBEngine.from_settings(settings)
