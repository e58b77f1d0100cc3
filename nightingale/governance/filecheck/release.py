"""What the file check knows of the release an output request names.

The release is the ground truth the researcher worked from: its persons frame (one row per
person, the ``pid`` column and the baseline variables), its panel frame (one row per person
and period), how many persons it holds, and the identifier values that must never leave
(every ``pid``, and any record id column a release might carry). It is read from the
release folder ``projects/<project>/releases/<id>/`` (``persons.parquet``,
``panel.parquet``, ``manifest.json``) with the platform's storage helpers, read-only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.platform.storage import DataRoot, read_parquet

if TYPE_CHECKING:
    import pandas as pd

PID_COLUMN = "pid"
#: Identifier values shorter than this cannot be told from ordinary numbers and words, so
#: they are not hunted (real pseudonyms are 32 hex characters).
MIN_HUNTED_LENGTH = 8
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _is_record_id_column(name: str) -> bool:
    lowered = name.lower()
    return lowered == "record_id" or lowered.endswith("_record_id")


@dataclass(frozen=True, eq=False)
class ReleaseEvidence:
    """A release's frames and the identifier values to hunt for in outputs."""

    release_id: str
    persons: pd.DataFrame
    panel: pd.DataFrame | None = None
    pid_column: str = PID_COLUMN
    manifest: dict[str, object] = field(default_factory=dict)

    @cached_property
    def person_count(self) -> int:
        return int(self.persons[self.pid_column].nunique())

    def frames(self) -> dict[str, pd.DataFrame]:
        """The release's frames by name (``persons``, and ``panel`` when there is one)."""
        found = {"persons": self.persons}
        if self.panel is not None:
            found["panel"] = self.panel
        return found

    @cached_property
    def hunted(self) -> dict[str, str]:
        """Every identifier value to hunt (lower-cased) and what it is."""
        values: dict[str, str] = {}
        for frame in self.frames().values():
            for column in frame.columns:
                name = str(column)
                if name == self.pid_column:
                    kind = "a pseudonym (pid)"
                elif _is_record_id_column(name):
                    kind = "a record id"
                else:
                    continue
                for value in frame[column].dropna().astype(str).unique():
                    if len(value) >= MIN_HUNTED_LENGTH:
                        values.setdefault(value.lower(), kind)
        return values

    @cached_property
    def hunted_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(v) for v in self.hunted}))


def _safe(kind: str, value: str) -> str:
    if not _SAFE_NAME.match(value) or ".." in value:
        raise InvalidInput(f"{kind} {value!r} is not a safe folder name")
    return value


def load_release(root: DataRoot | Path, project: str, release_id: str) -> ReleaseEvidence:
    """Read ``projects/<project>/releases/<release_id>/`` as :class:`ReleaseEvidence`."""
    data_root = root if isinstance(root, DataRoot) else DataRoot(Path(root))
    folder = data_root.releases(_safe("project", project)) / _safe("release id", release_id)
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFound(f"release {release_id} of project {project}: no {manifest_path}") from exc
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{manifest_path}: unreadable ({exc})") from exc
    if not isinstance(manifest, dict):
        raise InvalidInput(f"{manifest_path}: not a release manifest")
    persons = read_parquet(folder / "persons.parquet")
    if PID_COLUMN not in persons.columns:
        raise InvalidInput(f"{folder / 'persons.parquet'}: no {PID_COLUMN!r} column")
    panel_path = folder / "panel.parquet"
    panel = read_parquet(panel_path) if panel_path.is_file() else None
    return ReleaseEvidence(release_id, persons, panel, PID_COLUMN, manifest)
