"""Recompute a table from the release and compare it with the file, and with the metadata.

When a request names its release and a table's definition (rows, columns, values,
aggregation; optionally which frame and a filter), the check builds the same table from the
release with :func:`..tables.build_table`, checks every recomputed cell with
:func:`..tables.check_table` (threshold, dominance (n, k), p%), and compares each cell with
what the file shows. A cell may be shown exactly, rounded to the rounding base (counts),
printed with fewer decimals, or left empty (suppressed); any other difference, a cell
missing from the file, or a cell the release does not give is a finding for review.

The researcher's metadata (the ``.sdc.json`` the workspace helpers write) is compared the
same way: it can add context (its own failing evidence blocks) but never makes a file
safer than the file shows. Every disagreement is the finding "metadata disagrees with the
file".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nightingale.governance.errors import InvalidInput
from nightingale.governance.filecheck.grid import Grid, is_missing, number
from nightingale.governance.filecheck.release import ReleaseEvidence
from nightingale.governance.filecheck.table_rules import cell_findings
from nightingale.governance.filecheck.verdict import BLOCK, REVIEW, Finding
from nightingale.governance.sdc import Outcome, round_to_base
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import CellCheck, SdcTable, build_table, check_table

Cell = tuple[str, str]


@dataclass(frozen=True)
class TableDefinition:
    """How a table was built: ``aggregation`` of ``values`` by ``rows`` x ``columns``.

    ``frame`` names the release frame (``persons`` or ``panel``; by default the first that
    has every named column); ``where`` keeps only rows whose column holds one of the listed
    values (a subpopulation).
    """

    rows: str
    columns: str
    values: str | None = None
    aggregation: str = "count"
    frame: str | None = None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_declared(cls, declared: Mapping[str, Any] | None) -> TableDefinition | None:
        """The definition in a researcher's metadata: ``definition`` or an SdcTable's JSON."""
        if not declared:
            return None
        raw = declared.get("definition")
        if isinstance(raw, Mapping):
            rows, columns = raw.get("rows"), raw.get("columns")
            values, aggregation = raw.get("values"), raw.get("aggregation", "count")
            frame, where = raw.get("frame"), raw.get("where") or {}
        elif declared.get("kind") == "table":
            rows, columns = declared.get("index"), declared.get("columns")
            values, aggregation = declared.get("values"), declared.get("statistic", "count")
            frame, where = declared.get("frame"), declared.get("where") or {}
        else:
            return None
        if not isinstance(rows, str) or not isinstance(columns, str):
            raise InvalidInput("a table definition needs 'rows' and 'columns' column names")
        if not isinstance(where, Mapping):
            raise InvalidInput("a table definition's 'where' maps columns to values")
        return cls(
            rows,
            columns,
            None if values is None else str(values),
            str(aggregation),
            None if frame is None else str(frame),
            {
                str(k): tuple(str(x) for x in (v if isinstance(v, list) else [v]))
                for k, v in where.items()
            },
        )


def recompute(definition: TableDefinition, release: ReleaseEvidence) -> SdcTable:
    """The table the definition gives on the release (raises InvalidInput if it cannot)."""
    wanted = {definition.rows, definition.columns, *definition.where}
    if definition.values:
        wanted.add(definition.values)
    frames = release.frames()
    if definition.frame is not None:
        if definition.frame not in frames:
            raise InvalidInput(f"the release has no {definition.frame!r} frame")
        chosen = frames[definition.frame]
    else:
        fitting = [f for f in frames.values() if wanted <= {str(c) for c in f.columns}]
        if not fitting:
            raise InvalidInput(
                f"no frame of release {release.release_id} has the columns "
                f"{', '.join(sorted(wanted))}"
            )
        chosen = fitting[0]
    for column, allowed in definition.where.items():
        chosen = chosen[chosen[column].astype("string").isin(list(allowed))]
    return build_table(
        chosen, definition.rows, definition.columns, definition.values, definition.aggregation
    )


def file_cells(grid: Grid, rows: str, columns: str, statistic: str) -> dict[Cell, str]:
    """The file's cells keyed by (row label, column label), in long or wide layout.

    Long: the header names both dimensions, and the value is the column called ``value``,
    the statistic's name, or the one other column. Wide: the first column holds the row
    labels and every other header is a column label (what ``SdcTable.to_frame`` writes).
    """
    header = list(grid.header)
    if rows in header and columns in header:
        r, c = header.index(rows), header.index(columns)
        others = [j for j in range(len(header)) if j not in (r, c)]
        named = [j for j in others if header[j].lower() in {"value", statistic, "n"}]
        pick = named[0] if named else (others[0] if len(others) == 1 else None)
        if pick is None:
            raise InvalidInput(f"cannot tell which column holds the values: {header}")
        return {(row[r], row[c]): row[pick] for row in grid.rows if len(row) > max(r, c, pick)}
    return {
        (row[0], header[j]): row[j]
        for row in grid.rows
        for j in range(1, len(header))
        if j < len(row)
    }


def _decimals_tolerance(text: str, expected: float) -> float:
    mantissa = text.strip().lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10.0**-decimals + 1e-9 * abs(expected)


def shows(text: str, expected: float | None, statistic: str, base: int) -> bool:
    """Whether the file's text shows the expected value (exactly, printed shorter, rounded)."""
    value = number(text)
    if expected is None or value is None:
        return expected is None and value is None
    if abs(value - expected) <= _decimals_tolerance(text, expected):
        return True
    return statistic == "count" and value == round_to_base(expected, base)


def compare_with_release(
    grid: Grid, definition: TableDefinition, table: SdcTable, settings: SdcSettings
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The recomputed cells (with the values the file shows) and every difference."""
    shown = file_cells(grid, definition.rows, definition.columns, table.statistic)
    checks = {(c.row, c.column): c for c in check_table(table, settings)}
    cells: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for cell in table.cells:
        key, where = (cell.row, cell.column), f"cell ({cell.row}, {cell.column})"
        check = checks[key]
        text = shown.get(key)
        if text is None:
            if cell.value not in (None, 0.0):
                findings.append(
                    Finding(
                        "file-differs-from-release",
                        where,
                        "the release gives this cell but the file does not show it",
                        REVIEW,
                    )
                )
            cells.append(CellCheck(*key, None, Outcome.PASS, ("not in the file",)).as_dict())
            continue
        if is_missing(text):
            cells.append(CellCheck(*key, None, Outcome.PASS, ("suppressed",)).as_dict())
            continue
        if not shows(text, cell.value, table.statistic, settings.rounding_base):
            findings.append(
                Finding(
                    "file-differs-from-release",
                    where,
                    f"the file shows {text.strip()}, the release gives {_shown(cell.value)}",
                    REVIEW,
                )
            )
        findings.extend(cell_findings(check, where))
        cells.append(CellCheck(*key, number(text), check.outcome, check.reasons).as_dict())
    for key in sorted(set(shown) - set(checks)):
        if not is_missing(shown[key]):
            findings.append(
                Finding(
                    "file-differs-from-release",
                    f"cell ({key[0]}, {key[1]})",
                    "the file shows a cell the release does not give (a total, or another table)",
                    REVIEW,
                )
            )
    return cells, findings


def declared_table(declared: Mapping[str, Any]) -> SdcTable:
    """The researcher's table metadata, with every number checked to be a number.

    Metadata comes from the researcher's side, so a value of the wrong type is a finding
    about the metadata, never a crash of the check.
    """
    table = SdcTable.from_json(dict(declared))

    def numeric(value: object, optional: bool = True) -> bool:
        if value is None:
            return optional
        return isinstance(value, int | float) and not isinstance(value, bool)

    for cell in table.cells:
        evidence = cell.evidence
        if not (
            numeric(cell.value)
            and numeric(evidence.count, optional=False)
            and numeric(evidence.total)
            and numeric(evidence.negatives, optional=False)
            and all(numeric(x, optional=False) for x in evidence.top)
            and isinstance(evidence.statistic, str)
        ):
            raise InvalidInput(
                f"cell ({cell.row}, {cell.column}) holds a value that is not a number"
            )
    return table


def _shown(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"


def _disagrees(where: str, detail: str) -> Finding:
    return Finding(
        "metadata-disagrees", where, f"metadata disagrees with the file: {detail}", REVIEW
    )


def compare_with_metadata(
    grid: Grid,
    declared: Mapping[str, Any],
    recomputed: SdcTable | None,
    settings: SdcSettings,
) -> Iterator[Finding]:
    """Where the researcher's table metadata and the file (or the release) disagree.

    Disagreements need review; metadata whose own evidence fails a cell blocks it.
    """
    try:
        table = declared_table(declared)
    except InvalidInput as exc:
        yield Finding(
            "metadata-disagrees", "metadata", f"metadata is not a table description: {exc}", REVIEW
        )
        return
    base = settings.rounding_base
    shown = file_cells(grid, table.index, table.columns, table.statistic)
    truth = {(c.row, c.column): c for c in recomputed.cells} if recomputed else {}
    for cell in table.cells:
        key, where = (cell.row, cell.column), f"cell ({cell.row}, {cell.column})"
        text = shown.get(key)
        if text is None:
            yield _disagrees(where, "the metadata describes a cell the file does not show")
            continue
        if cell.suppressed != is_missing(text):
            said = "suppressed" if cell.suppressed else _shown(cell.value)
            yield _disagrees(where, f"metadata says {said}, the file shows {text or 'nothing'}")
        elif not cell.suppressed and not shows(text, cell.value, table.statistic, base):
            yield _disagrees(where, f"metadata says {_shown(cell.value)}, the file shows {text}")
        elif (
            table.statistic == "count"
            and not cell.suppressed
            and not shows(text, float(cell.evidence.count), "count", base)
        ):
            yield _disagrees(
                where, f"metadata counts {cell.evidence.count} contributors, the file shows {text}"
            )
        real = truth.get(key)
        if real is not None and (
            real.evidence.count != cell.evidence.count
            or not math.isclose(
                real.evidence.total or 0.0, cell.evidence.total or 0.0, rel_tol=1e-9, abs_tol=1e-9
            )
        ):
            yield _disagrees(
                where,
                f"the metadata's evidence ({cell.evidence.count} contributors, total "
                f"{_shown(cell.evidence.total)}) is not the release's "
                f"({real.evidence.count}, {_shown(real.evidence.total)})",
            )
    for key in sorted(set(shown) - {(c.row, c.column) for c in table.cells}):
        yield _disagrees(f"cell ({key[0]}, {key[1]})", "the file shows a cell the metadata omits")
    if recomputed is not None:
        return  # the release's own evidence was checked; the metadata's adds nothing
    for check in check_table(table, settings):
        if check.outcome is Outcome.FAIL:
            yield Finding(
                "declared-evidence-fails",
                f"cell ({check.row}, {check.column})",
                "by the metadata's own evidence: " + "; ".join(check.reasons),
                BLOCK,
            )
