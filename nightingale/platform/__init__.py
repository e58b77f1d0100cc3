"""Foundations every other package uses.

Settings, the governance database (SQLAlchemy 2 + Alembic), the keystore, storage of
the data root (zones, Parquet, atomic writes, encryption at rest) and engines (DuckDB,
optional Spark). Nothing here imports the domain packages.
"""

from nightingale.platform.errors import NightingaleError

__all__ = ["NightingaleError"]
