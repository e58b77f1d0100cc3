"""A release's ``manifest.json``: what it holds and how it was made.

The cohort builder writes it last, inside the release's temporary folder, so a release
with a manifest is complete. Governance records the manifest's SHA-256; the steward's
page shows its row counts and k-anonymity; notebooks and evaluations read its ids and
creation time. The JSON is key-sorted and indented (:func:`atomic_write_json`), so the
same release always has the same bytes and checksum.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer

from nightingale.platform.contracts.errors import ContractError
from nightingale.platform.contracts.zones import MANIFEST_FILE
from nightingale.platform.storage import atomic_write_json

MANIFEST_FORMAT: Literal[1] = 1


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RowCounts(_Record):
    """Rows of each table: one per person, one per person and follow-up period."""

    persons: int
    panel: int


class KAnonymityRecord(_Record):
    """k-anonymity measured over the release's quasi-identifiers at build time."""

    quasi_identifiers: list[str]
    k: int
    min_k: int
    groups: int
    people_below_min_k: int
    meets_target: bool


class CodelistRecord(_Record):
    """A codelist the release's spec matched codes against, by its version hash."""

    name: str
    file: str
    """The file as the spec names it."""
    sha256: str
    """SHA-256 of the codelist's text (UTF-8, ``\\n`` line endings)."""
    codes: int
    """Distinct codes after normalisation."""
    used_by: list[str]
    """The variables that use it (``follow_up.outcomes.<name>``, ``baseline.<name>``)."""


class ReleaseManifest(_Record):
    """Everything ``manifest.json`` says (docs/developers.md, "Releases")."""

    format: Literal[1] = MANIFEST_FORMAT
    release_id: str
    project: str
    request_id: str
    cohort: str
    spec_sha256: str
    """SHA-256 of the approved spec text the release was built from."""
    source_versions: dict[str, str]
    """Content version read per provider."""
    spine_run_id: str
    engine: str
    """``duckdb`` or ``spark``: releases are identical either way, this says which ran."""
    pseudonym_key_id: str
    rows: RowCounts
    files: dict[str, str]
    """SHA-256 of each data file, by file name."""
    k_anonymity: KAnonymityRecord
    created_at: datetime
    codelists: list[CodelistRecord] = []
    """Every codelist the spec used; a release without codelists has none."""
    extends: str | None = None
    """The project's release this one follows (same pseudonym key, so the same person has
    the same ``pid`` in both); None for a project's first release."""
    opted_out_removed: int = 0
    """People whose health data were withheld from this build because they opted out of
    research use (the national data opt-out): none of their health records were read,
    and none of their rows are in the release. 0 when the release draws no health data."""

    @field_serializer("created_at")
    def _iso(self, value: datetime) -> str:
        # Python's isoformat (``+00:00``), as every manifest written so far has it.
        return value.isoformat()

    def as_json(self) -> dict[str, Any]:
        """The manifest as the JSON document written to disk."""
        return self.model_dump(mode="json")


def write_manifest(folder: Path, manifest: ReleaseManifest) -> Path:
    """Write ``manifest.json`` into ``folder`` atomically; return its path."""
    path = folder / MANIFEST_FILE
    atomic_write_json(path, manifest.as_json())
    return path


def read_manifest(folder: Path) -> ReleaseManifest:
    """The manifest of the release in ``folder``; ContractError naming file and field."""
    path = folder / MANIFEST_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContractError(f"{folder}: not a release (no {MANIFEST_FILE})") from exc
    except (OSError, ValueError) as exc:
        raise ContractError(f"{path}: unreadable release manifest ({exc})") from exc
    try:
        return ReleaseManifest.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "document"
        raise ContractError(f"{path}: {field}: {error['msg']}") from exc
