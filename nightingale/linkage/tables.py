"""The linkage package's tables: dataset versions and link runs.

Declared on the platform's :class:`~nightingale.platform.database.Base`; created only by
the migration ``l0001`` (branch ``linkage``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from nightingale.platform.database import Base


class DatasetVersion(Base):
    """One ingested file of one dataset version (a version is one ``ingest`` of a provider)."""

    __tablename__ = "linkage_dataset_version"

    version_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_input: Mapped[int] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LinkRun(Base):
    """One ``link`` run: where its parameters are, its counts and quality metrics (JSON)."""

    __tablename__ = "linkage_link_run"

    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    parameters_path: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(40))
    counts: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text)


def versions_of(session: Session, provider: str) -> list[DatasetVersion]:
    """Every file of every version of ``provider``, oldest version first."""
    query = (
        select(DatasetVersion)
        .where(DatasetVersion.provider == provider)
        .order_by(DatasetVersion.version_id, DatasetVersion.file_name)
    )
    return list(session.scalars(query))


def latest_version(session: Session, provider: str) -> list[DatasetVersion]:
    """The files of ``provider``'s newest version (empty when never ingested)."""
    rows = versions_of(session, provider)
    if not rows:
        return []
    newest = rows[-1].version_id
    return [row for row in rows if row.version_id == newest]
