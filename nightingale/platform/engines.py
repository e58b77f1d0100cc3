"""Engines for linkage and cohort builds: DuckDB on one machine, Spark at scale.

:class:`Engine` is the lifecycle every engine shares, whatever it runs (Splink's
linkage, a cohort's queries): it is made from :class:`Settings` (``from_settings``),
owns at most one private scratch folder, and is closed once, by ``close()`` or by
leaving a ``with`` block, which also removes the scratch. :class:`OnDuckDB` and
:class:`OnSpark` hold the connection or session and the scratch for the two engines;
the linkage backends and the cohort engines stand on them and add only their own work.

Both factories read their limits from settings, so a deployment sizes them in one
place. Spark is an optional extra (``pip install nightingale[spark]``); asking for it
without the extra raises a message that says how to install it.

Scratch is private (docs/security.md, "Engine scratch stays private"): what an engine
writes to disk may be tokens or decrypted demographics, so each run gets a fresh 0700
folder inside the data root's identifier zone, named unpredictably (another user cannot
create it first), and removes it when it closes.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import duckdb

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SCRATCH_PREFIX = ".tmp-"
SPARK_SCRATCH_PREFIX = f"{SCRATCH_PREFIX}spark-"
DUCKDB_SCRATCH_PREFIX = f"{SCRATCH_PREFIX}duckdb-"


def private_scratch(kind: str, parent: Path | None = None) -> Path:
    """A new, empty folder only this user can enter (0700), named ``.tmp-<kind>-<random>``.

    ``mkdtemp`` picks a fresh random name and creates it exclusively, so a folder made
    beforehand by someone else is never the one used. The ``.tmp-`` prefix keeps it out
    of zone listings. Without ``parent`` (``link-files``, tests) it is made in the system
    temporary folder; the caller removes it.
    """
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{kind}-", dir=parent))


def scratch_parent(settings: Settings) -> Path:
    """Where engines of this deployment make their scratch: the identifier zone.

    What is staged or spilled there is tokens or decrypted demographics, so it belongs
    with the identifiers; on a cluster the data root is the mount every executor sees.
    """
    return DataRoot(settings.data_root).linkage


def spark_scratch(parent: Path | None = None) -> Path:
    """A new private folder for the Parquet files a Spark job stages and checkpoints."""
    return private_scratch("spark", parent)


def duckdb_connection(
    settings: Settings, database: str = ":memory:", *, spill: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with threads and memory limit from settings.

    ``spill`` is where DuckDB may write when a query outgrows memory (a private folder:
    see :func:`private_scratch`); without it DuckDB does not spill at all, rather than
    writing to its default ``.tmp`` in the working directory.
    """
    config: dict[str, Any] = {
        "threads": settings.duckdb_threads,
        "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": str(spill) if spill is not None else "",
    }
    return duckdb.connect(database, config=config)


def spark_available() -> bool:
    """Whether pyspark is importable (the ``spark`` extra is installed)."""
    return importlib.util.find_spec("pyspark") is not None


def spark_session(settings: Settings, app_name: str = "nightingale") -> SparkSession:
    """A Spark session on ``settings.spark_master`` (``local[2]`` by default)."""
    if not spark_available():
        raise ConfigurationError(
            "engine 'spark' needs pyspark: pip install 'nightingale[spark]' (and a Java runtime)"
        )
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        # Progress bars would interleave with the CLI's own output and fill logs.
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )


class Engine(ABC):
    """The shared lifecycle: made from settings, closed exactly once, scratch removed.

    Subclasses release what they started in :meth:`release` (drop views, close the
    connection they own); :meth:`close` calls it once and then removes :attr:`scratch`,
    even when releasing failed.
    """

    #: The SQL dialect the engine runs (``duckdb`` or ``spark``; sqlglot's names).
    dialect: ClassVar[str]

    def __init__(self, scratch: Path | None = None) -> None:
        #: This engine's private scratch folder, removed on close (None: it has none).
        self.scratch = scratch
        self.closed = False

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Self:
        """An engine owning the connection or session it opens from ``settings``."""

    def release(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Free what this engine started (called once, by :meth:`close`)."""

    def close(self) -> None:
        """Release the engine and remove its scratch; later calls do nothing."""
        if self.closed:
            return
        self.closed = True
        try:
            self.release()
        finally:
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class OnDuckDB(Engine):
    """An engine on a DuckDB connection: the caller's, or its own with a private spill.

    :meth:`from_settings` opens the connection with a fresh spill folder under the data
    root's identifier zone; a connection passed in (tests, callers sharing one) is left
    open on close and spills where its owner configured.
    """

    dialect: ClassVar[str] = "duckdb"

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        owns: bool = False,
        scratch: Path | None = None,
    ) -> None:
        super().__init__(scratch)
        self.connection = connection
        self.owns = owns

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        spill = private_scratch("duckdb", scratch_parent(settings))
        try:
            connection = duckdb_connection(settings, spill=spill)
        except BaseException:
            shutil.rmtree(spill, ignore_errors=True)
            raise
        return cls(connection, owns=True, scratch=spill)

    def release(self) -> None:
        if self.owns:
            self.connection.close()


class OnSpark(Engine):
    """An engine on a Spark session, with a private scratch folder for staged Parquet.

    Spark reads inputs by path, and on a cluster every executor must see that path, so
    :meth:`from_settings` puts the scratch in the data root's identifier zone (not the
    driver's ``/tmp``); without ``scratch_parent`` (tests) it is a system temporary
    folder. The session is stopped on close only when this engine started it, so a
    session shared with others (tests) keeps running.
    """

    dialect: ClassVar[str] = "spark"
    #: The Spark application name of sessions this engine starts.
    app_name: ClassVar[str] = "nightingale"
    scratch: Path

    def __init__(
        self, session: SparkSession, owns: bool = False, scratch_parent: Path | None = None
    ) -> None:
        super().__init__(spark_scratch(scratch_parent))
        self.session = session
        self.owns = owns

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        session = spark_session(settings, app_name=cls.app_name)
        return cls(session, owns=True, scratch_parent=scratch_parent(settings))

    def release(self) -> None:
        if self.owns:
            self.session.stop()
