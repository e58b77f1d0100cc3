"""Deleting a dataset version from every zone when its retention has run out.

A version lives in the content zone (``content/<provider>/<version>/``), the identifier
zone (sealed identifiers and key map) and, when rows were rejected, the quarantine; its
files are registered in ``linkage_dataset_version``. :func:`expire_version` removes all of
them. Which versions are due, and the audit entry for each, is the retention operation's
(:mod:`nightingale.operations.retention`); a provider's newest version is never due.

A link run made from such a version holds what was derived from its records: their
tokens (``tokens.parquet``), fingerprints, scored pairs and person ids. Its folder goes
with the version (:func:`expire_run`), unless it is the spine in force, which the next
build and the next incremental link read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from nightingale.linkage.ingest import discard_version
from nightingale.linkage.spine import current_run, spine_folder
from nightingale.linkage.tables import DatasetVersion, versions_of
from nightingale.platform.storage import DataRoot


@dataclass(frozen=True)
class StoredVersion:
    """One version of a provider and when it was ingested."""

    provider: str
    version_id: str
    created_at: datetime
    newest: bool


def stored_versions(session: Session, provider: str) -> list[StoredVersion]:
    """Every registered version of ``provider``, oldest first."""
    rows = versions_of(session, provider)
    first: dict[str, datetime] = {}
    for row in rows:
        first.setdefault(row.version_id, row.created_at)
    ids = sorted(first)
    return [StoredVersion(provider, version, first[version], version == ids[-1]) for version in ids]


def expire_version(session: Session, root: DataRoot, provider: str, version_id: str) -> None:
    """Remove ``version_id`` of ``provider`` from every zone and from the registry."""
    session.execute(
        delete(DatasetVersion).where(
            DatasetVersion.provider == provider, DatasetVersion.version_id == version_id
        )
    )
    session.flush()
    discard_version(root, provider, version_id)


def expire_run(root: DataRoot, run_id: str) -> None:
    """Remove a link run's folder (never the spine in force's)."""
    import shutil

    if run_id == current_run(root):
        raise ValueError(f"link run {run_id} is the spine in force: it is never expired")
    shutil.rmtree(spine_folder(root, run_id), ignore_errors=True)
