"""The instance record: which data root a governance database belongs to.

``init`` writes the same random instance id into the data root's marker file and into
the database, so pointing a data root at another platform's database is caught by
``doctor`` instead of silently mixing two platforms' records.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from nightingale.platform.database import Base


class PlatformInstance(Base):
    """One row: the id of the data root this database serves."""

    __tablename__ = "platform_instance"

    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_root_format: Mapped[int] = mapped_column(Integer)


def recorded_instance_ids(session: Session) -> list[str]:
    """Every instance id recorded in the database (normally one)."""
    return list(session.scalars(select(PlatformInstance.instance_id)))
