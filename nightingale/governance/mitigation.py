"""Mitigations a researcher applies before submitting: suppression and rounding.

:func:`suppress_table` hides every failing cell plus the secondary cells that stop a hidden
one being recovered from its row or column total (:func:`.sdc.suppress`); hidden cells are
published empty and marked, so the checks pass them as "suppressed". :func:`round_table`
rounds a frequency table to the deployment's base (5); rounding protects against
differencing between tables but does not make a small cell safe, so a rounded cell still
fails when its true count is below the threshold.
"""

from __future__ import annotations

from dataclasses import replace

from nightingale.governance.errors import InvalidInput
from nightingale.governance.sdc import Outcome, round_to_base, suppress
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import SdcTable, check_table


def _positions(table: SdcTable) -> tuple[list[str], list[str]]:
    rows = list(dict.fromkeys(c.row for c in table.cells))
    columns = list(dict.fromkeys(c.column for c in table.cells))
    return rows, columns


def suppress_table(table: SdcTable, settings: SdcSettings | None = None) -> SdcTable:
    """The table with failing cells and their protecting neighbours hidden."""
    rows, columns = _positions(table)
    at = {(c.row, c.column): c for c in table.cells}
    grid = [[abs(at[(r, k)].value or 0.0) if (r, k) in at else 0.0 for k in columns] for r in rows]
    failing = {
        (rows.index(check.row), columns.index(check.column))
        for check in check_table(table, settings)
        if check.outcome is Outcome.FAIL
    }
    hidden = suppress(grid, failing).cells
    cells = tuple(
        replace(cell, value=None, suppressed=True)
        if (rows.index(cell.row), columns.index(cell.column)) in hidden
        else cell
        for cell in table.cells
    )
    return replace(table, cells=cells)


def round_table(table: SdcTable, base: int | None = None) -> SdcTable:
    """A frequency table with every count rounded to ``base`` (default: the settings')."""
    if table.statistic != "count":
        raise InvalidInput(f"rounding applies to frequency tables, not {table.statistic} tables")
    chosen = base or SdcSettings().rounding_base
    cells = tuple(
        cell
        if cell.value is None
        else replace(cell, value=float(round_to_base(cell.value, chosen)))
        for cell in table.cells
    )
    return replace(table, cells=cells)
