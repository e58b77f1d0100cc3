"""The airlock's automatic checks shaped as grids, so a checker sees each cell in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FileView:
    """One file's checks: a table grid (rows x columns of cells) or a flat list."""

    name: str
    kind: str
    outcome: str
    notes: list[str]
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    grid: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    flat: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, row: str, column: str) -> dict[str, Any] | None:
        return self.grid.get((row, column))

    @property
    def flagged(self) -> int:
        cells = list(self.grid.values()) or self.flat
        return sum(1 for c in cells if c.get("outcome") != "pass")


def file_view(check: dict[str, Any]) -> FileView:
    """A stored file check (governance's ``FileCheck.as_dict``) as a grid where possible."""
    cells: list[dict[str, Any]] = list(check.get("cells", []))
    name, kind = str(check.get("name", "")), str(check.get("kind", ""))
    outcome = str(check.get("outcome", ""))
    notes = [str(n) for n in check.get("notes", [])]
    if kind == "table" and cells:
        return FileView(
            name,
            kind,
            outcome,
            notes,
            rows=list(dict.fromkeys(str(c["row"]) for c in cells)),
            columns=list(dict.fromkeys(str(c["column"]) for c in cells)),
            grid={(str(c["row"]), str(c["column"])): c for c in cells},
        )
    return FileView(name, kind, outcome, notes, flat=cells)


def file_views(checks: list[dict[str, Any]]) -> list[FileView]:
    return [file_view(check) for check in checks]
