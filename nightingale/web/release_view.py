"""A release as the pages show it: id, dates, row counts and k-anonymity from its manifest."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nightingale.governance.models import Release


@dataclass(frozen=True)
class ReleaseSummary:
    release: Release
    manifest: dict[str, Any]

    @property
    def k_anonymity(self) -> Any:
        return self.manifest.get("k_anonymity")

    @property
    def row_counts(self) -> Any:
        return self.manifest.get("row_counts")


def _manifest(location: Path) -> dict[str, Any]:
    try:
        content = json.loads((location / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def release_summaries(data_root: Path, releases: Iterable[Release]) -> list[ReleaseSummary]:
    """Each release with its manifest (empty when the folder is gone)."""
    summaries = []
    for release in releases:
        location = Path(release.location)
        if not location.is_absolute():
            location = data_root / location
        summaries.append(ReleaseSummary(release, _manifest(location)))
    return summaries
