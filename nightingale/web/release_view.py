"""A release as the pages show it: id, row counts and k-anonymity from its manifest.

The manifest is read through the shared contract
(:class:`~nightingale.platform.contracts.ReleaseManifest`), so the page names the fields
the builder writes; a renamed field fails the type checker, not the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nightingale.governance.models import Release
from nightingale.platform.contracts import ContractError, ReleaseManifest, read_manifest


@dataclass(frozen=True)
class ReleaseSummary:
    release: Release
    manifest: ReleaseManifest | None
    """None when the folder or its manifest is gone or unreadable."""

    @property
    def k_anonymity(self) -> int | None:
        """The k measured at build time."""
        return None if self.manifest is None else self.manifest.k_anonymity.k

    @property
    def row_counts(self) -> str | None:
        """The release's rows, as a steward reads them."""
        if self.manifest is None:
            return None
        rows = self.manifest.rows
        return f"{rows.persons:,} persons, {rows.panel:,} person-periods"


def _manifest(location: Path) -> ReleaseManifest | None:
    try:
        return read_manifest(location)
    except ContractError:
        return None


def release_summaries(data_root: Path, releases: Iterable[Release]) -> list[ReleaseSummary]:
    """Each release with its manifest (None when the folder is gone)."""
    summaries = []
    for release in releases:
        location = Path(release.location)
        if not location.is_absolute():
            location = data_root / location
        summaries.append(ReleaseSummary(release, _manifest(location)))
    return summaries
