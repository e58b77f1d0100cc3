"""The airlock's stored file checks shaped for the page: findings, and cells in place.

A file's stored check (governance's ``output_gate.stored``) holds the file check's
findings, each with its severity, and, for tables and models, the per-cell checks. Tables
become a grid (rows x columns of cells) so a checker sees each cell where it is; other
cells stay a flat list. Requests checked before the file check have notes instead of
findings, and are shown the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITY_LABEL = {"block": "blocks", "review": "review", "pass": "note"}


@dataclass(frozen=True)
class FindingView:
    rule: str
    where: str
    detail: str
    severity: str

    @property
    def label(self) -> str:
        return SEVERITY_LABEL.get(self.severity, self.severity)

    @property
    def css(self) -> str:
        return {"block": "fail", "review": "review"}.get(self.severity, "")


@dataclass(frozen=True)
class FileView:
    """One file's checks: findings, then a table grid (rows x columns) or a flat list."""

    name: str
    kind: str
    outcome: str
    notes: list[str]
    findings: list[FindingView] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    grid: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    flat: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, row: str, column: str) -> dict[str, Any] | None:
        return self.grid.get((row, column))

    @property
    def flagged(self) -> int:
        """Findings that are not notes (failing cells are findings too); for requests
        checked before the file check, the cells that did not pass."""
        if self.findings:
            return sum(1 for f in self.findings if f.severity != "pass")
        cells = list(self.grid.values()) or self.flat
        return sum(1 for c in cells if c.get("outcome") != "pass")


def _finding(raw: dict[str, Any]) -> FindingView:
    return FindingView(
        str(raw.get("rule", "")),
        str(raw.get("where", "")),
        str(raw.get("detail", "")),
        str(raw.get("severity", "review")),
    )


def file_view(check: dict[str, Any]) -> FileView:
    """A stored file check as a grid where the cells form one."""
    cells: list[dict[str, Any]] = list(check.get("cells", []))
    name, kind = str(check.get("name", "")), str(check.get("kind", ""))
    outcome = str(check.get("outcome", ""))
    notes = [str(n) for n in check.get("notes", [])]
    findings = [_finding(f) for f in check.get("findings", [])]
    if cells and kind != "model" and all("row" in c and "column" in c for c in cells):
        return FileView(
            name,
            kind,
            outcome,
            notes,
            findings,
            rows=list(dict.fromkeys(str(c["row"]) for c in cells)),
            columns=list(dict.fromkeys(str(c["column"]) for c in cells)),
            grid={(str(c["row"]), str(c["column"])): c for c in cells},
        )
    return FileView(name, kind, outcome, notes, findings, flat=cells)


def file_views(checks: list[dict[str, Any]]) -> list[FileView]:
    return [file_view(check) for check in checks]
