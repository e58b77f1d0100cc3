"""Engines for linkage and cohort builds: DuckDB on one machine, Spark at scale.

Both factories read their limits from :class:`Settings`, so a deployment sizes them in
one place. Spark is an optional extra (``pip install nightingale[spark]``); asking for it
without the extra raises a message that says how to install it.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def duckdb_spill_directory() -> str:
    """Where DuckDB spills when a query outgrows memory: the system temp folder.

    DuckDB's default is ``.tmp`` in the working directory, which would put gigabytes of
    intermediate (possibly identifying) data inside a checkout or a data root's parent.
    """
    return str(Path(tempfile.gettempdir()) / "nightingale-duckdb")


def duckdb_connection(settings: Settings, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with threads and memory limit from settings."""
    config: dict[str, Any] = {
        "threads": settings.duckdb_threads,
        "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": duckdb_spill_directory(),
    }
    return duckdb.connect(database, config=config)


SPARK_SCRATCH_PREFIX = ".tmp-spark-"


def spark_scratch(parent: Path | None = None) -> Path:
    """A new private folder (0700) for the Parquet files a Spark job stages and checkpoints.

    Spark reads inputs by path, and on a cluster every executor must see that path, so
    production runs put the folder on the data root's shared file system (inside the
    identifier zone, since what is staged there is tokens or decrypted demographics),
    not in the driver's ``/tmp``. The ``.tmp-`` prefix keeps it out of zone listings; the
    caller removes it when the job ends. Without ``parent`` (tests) it is a system
    temporary folder.
    """
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=SPARK_SCRATCH_PREFIX, dir=parent))


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
