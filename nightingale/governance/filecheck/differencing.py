"""Differencing: two tables over the same dimension whose margins differ by a small count.

If one table counts everyone by age band and another counts everyone but a few people by
age band, subtracting them reveals the few, however large each table's own cells are.
So for every pair of count tables in one request, over every dimension they share (the
same column name, or the same set of categories), the totals per category and the grand
totals are compared; a difference above zero and below the threshold is a finding for
review on both files. Rounding every table to the base consistently is the usual cure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from nightingale.governance.filecheck.grid import Grid, number
from nightingale.governance.filecheck.table_rules import Role, column_roles
from nightingale.governance.filecheck.verdict import REVIEW, Finding
from nightingale.governance.settings import SdcSettings


@dataclass(frozen=True)
class Margins:
    """A count table's totals per category of each of its dimensions, and its grand total."""

    name: str
    dimensions: dict[str, dict[str, float]]
    total: float


def margins_of(name: str, grid: Grid) -> Margins | None:
    """The margins of a count table (``None`` if the file shows no counts)."""
    roles = column_roles(grid)
    counts = [j for j, role in enumerate(roles) if role is Role.COUNT]
    if not counts:
        return None
    dimensions: dict[str, dict[str, float]] = {}
    by_column: dict[str, float] = {grid.header[j]: 0.0 for j in counts}
    total = 0.0
    for row in grid.rows:
        shown = {j: number(row[j]) if j < len(row) else None for j in counts}
        row_total = sum(v for v in shown.values() if v is not None)
        total += row_total
        for j, value in shown.items():
            by_column[grid.header[j]] += value or 0.0
        for j, role in enumerate(roles):
            if role is Role.LABEL and j < len(row):
                totals = dimensions.setdefault(grid.header[j], {})
                totals[row[j]] = totals.get(row[j], 0.0) + row_total
    if len(counts) > 1:
        dimensions["(columns)"] = by_column
    return Margins(name, dimensions, total)


def _same_dimension(a: str, a_totals: dict[str, float], b: str, b_totals: dict[str, float]) -> bool:
    if a == b and a != "(columns)":
        return True
    return len(a_totals) > 1 and set(a_totals) == set(b_totals)


def differences(first: Margins, second: Margins, settings: SdcSettings) -> Iterator[str]:
    """Descriptions of every small difference between two tables' shared margins."""
    small = range(1, settings.threshold)
    shared = False
    for a_name, a_totals in first.dimensions.items():
        for b_name, b_totals in second.dimensions.items():
            if not _same_dimension(a_name, a_totals, b_name, b_totals):
                continue
            shared = True
            for label in sorted(set(a_totals) & set(b_totals)):
                gap = abs(a_totals[label] - b_totals[label])
                if gap.is_integer() and int(gap) in small:
                    yield f"the totals for {a_name} = {label} differ by {gap:g}"
    gap = abs(first.total - second.total)
    if shared and gap.is_integer() and int(gap) in small:
        yield f"the grand totals differ by {gap:g}"


def differencing(
    tables: Sequence[tuple[str, Grid]], settings: SdcSettings
) -> dict[str, list[Finding]]:
    """Findings per file name for every pair of tables that difference to a small count."""
    margins = [m for name, grid in tables if (m := margins_of(name, grid)) is not None]
    found: dict[str, list[Finding]] = {}
    for first, second in combinations(margins, 2):
        for detail in dict.fromkeys(differences(first, second, settings)):
            for this, other in ((first, second), (second, first)):
                found.setdefault(this.name, []).append(
                    Finding(
                        "differencing",
                        f"with {other.name}",
                        f"{detail} (below {settings.threshold}): subtracting the tables "
                        "reveals a small cell; round both consistently or drop one",
                        REVIEW,
                    )
                )
    return found
