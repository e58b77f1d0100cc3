"""What a table file shows, checked without the release: counts, zeros, row-level data.

Without a table definition the check has to read the table's layout from the file:

- the first column holds row labels, and so does every column with text in it;
- a numeric column is a **count** column when every value is a whole number >= 0 and its
  name does not say otherwise; names say otherwise with words such as ``year``,
  ``quintile`` or ``band`` (labels) or ``mean``, ``pct``, ``rate`` (statistics);
- other numeric columns are **statistics** (means, sums, percentages): their dominance
  cannot be checked from the file alone, so they need review unless the release and the
  table definition let the check recompute them (:mod:`.recompute`).

Count cells get the SDC count rules (threshold, zeros); empty cells count as suppressed.
Row-level data is suspected when a table has more rows than the release has persons'
worth of aggregation (persons / threshold), about one row per person, or at least
``row_level_min_rows`` rows with a column whose values are nearly all distinct.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any

from nightingale.governance.filecheck.grid import Grid, is_missing, number
from nightingale.governance.filecheck.release import ReleaseEvidence
from nightingale.governance.filecheck.scanners import Hunter
from nightingale.governance.filecheck.verdict import BLOCK, REVIEW, FileOutcome, Finding
from nightingale.governance.sdc import Evidence, Outcome, check_cell
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import CellCheck

LABEL_WORDS = frozenset(
    {
        "year",
        "month",
        "quarter",
        "week",
        "quintile",
        "decile",
        "tercile",
        "band",
        "group",
        "category",
        "code",
        "level",
        "wave",
        "period",
        "age",
        "arm",
        "treated",
        "sex",
        "imd",
        "index",
        "id",
        "rank",
    }
)
STATISTIC_WORDS = frozenset(
    {
        "mean",
        "avg",
        "average",
        "median",
        "sum",
        "min",
        "max",
        "sd",
        "std",
        "se",
        "var",
        "ci",
        "lower",
        "upper",
        "pct",
        "percent",
        "percentage",
        "rate",
        "ratio",
        "prop",
        "proportion",
        "share",
        "estimate",
        "coef",
        "p",
        "cost",
        "costs",
        "qaly",
        "qalys",
    }
)
COUNT_WORDS = frozenset({"n", "count", "counts", "freq", "frequency", "number", "persons"})


class Role(StrEnum):
    LABEL = "label"
    COUNT = "count"
    STATISTIC = "statistic"


def _words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if w}


def column_roles(grid: Grid) -> list[Role]:
    """Each column's role in a table read without its definition."""
    roles = []
    for j, name in enumerate(grid.header):
        values = [v for v in grid.column(j) if not is_missing(v)]
        numbers = [number(v) for v in values]
        words = _words(name)
        if j == 0 or not values or any(n is None for n in numbers):
            roles.append(Role.LABEL)
        elif words & COUNT_WORDS:
            whole = all(n is not None and n >= 0 and float(n).is_integer() for n in numbers)
            roles.append(Role.COUNT if whole else Role.STATISTIC)
        elif words & LABEL_WORDS:
            roles.append(Role.LABEL)
        elif words & STATISTIC_WORDS:
            roles.append(Role.STATISTIC)
        elif all(n is not None and n >= 0 and float(n).is_integer() for n in numbers):
            roles.append(Role.COUNT)
        else:
            roles.append(Role.STATISTIC)
    return roles


def row_label(grid: Grid, roles: list[Role], i: int) -> str:
    row = grid.rows[i]
    return " / ".join(
        row[j] if j < len(row) else "" for j, role in enumerate(roles) if role is Role.LABEL
    )


_RULES = (
    ("a count of", "threshold"),
    ("a contributor count", "threshold"),
    ("zero cell", "zero"),
    ("dominance:", "dominance"),
    ("p% rule", "p-percent"),
    ("dominance is not defined", "negative-contributions"),
    ("residual degrees of freedom", "residual-dof"),
)


def rule_of(reason: str) -> str:
    """The rule name of an SDC reason (:mod:`..sdc` writes reasons as sentences)."""
    for prefix, rule in _RULES:
        if reason.startswith(prefix):
            return rule
    return "extreme-value" if "single person's value" in reason else "sdc"


def cell_findings(check: CellCheck, where: str) -> Iterator[Finding]:
    """One finding per reason of a cell that does not pass."""
    if check.outcome is Outcome.PASS:
        return
    severity = FileOutcome.of_cell(check.outcome)
    for reason in check.reasons:
        yield Finding(rule_of(reason), where, reason, severity)


def count_cells(
    grid: Grid, roles: list[Role], settings: SdcSettings
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The SDC count rules on every count cell the file shows."""
    cells: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for i, row in enumerate(grid.rows):
        label = row_label(grid, roles, i)
        for j, role in enumerate(roles):
            if role is not Role.COUNT:
                continue
            text = row[j] if j < len(row) else ""
            value = number(text)
            if value is None:
                check = CellCheck(label, grid.header[j], None, Outcome.PASS, ("suppressed",))
            else:
                verdict = check_cell(Evidence("count", int(value)), settings)
                check = CellCheck(label, grid.header[j], value, verdict.outcome, verdict.reasons)
                findings.extend(cell_findings(check, grid.where(i, j)))
            cells.append(check.as_dict())
    return cells, findings


def unverified_statistics(grid: Grid, roles: list[Role]) -> Iterator[Finding]:
    """Statistic columns whose dominance the file alone cannot show."""
    for j, role in enumerate(roles):
        if role is Role.STATISTIC:
            yield Finding(
                "magnitude-unverified",
                f"column {grid.header[j]}",
                "magnitudes (means, sums, rates) need their contributors checked: name the "
                "release and the table definition, or the checker reviews them",
                REVIEW,
            )


def too_many_rows(
    grid: Grid, settings: SdcSettings, release: ReleaseEvidence | None
) -> Iterator[Finding]:
    """More rows than an aggregate of the release could have, or about one per person."""
    if release is None or not grid.rows:
        return
    rows, persons = len(grid.rows), release.person_count
    most = persons // settings.threshold
    if abs(rows - persons) <= max(1, persons // 10):
        yield Finding(
            "row-level",
            "file",
            f"{rows} rows for the release's {persons} persons: about one row per person",
            BLOCK,
        )
    elif rows > most:
        yield Finding(
            "row-level",
            "file",
            f"{rows} rows, but an aggregate of {persons} persons with at least "
            f"{settings.threshold} per row has at most {most}",
            BLOCK,
        )


def distinct_columns(
    grid: Grid, settings: SdcSettings, release: ReleaseEvidence | None
) -> Iterator[Finding]:
    """A long table with a column whose values are nearly all distinct: one per person?

    Blocks when no release is named (nothing else can tell); with a release whose person
    count makes the row count plausible for an aggregate, it only asks for review.
    """
    rows = len(grid.rows)
    if rows < settings.row_level_min_rows:
        return
    plausible = release is not None and rows <= release.person_count // settings.threshold
    for j, name in enumerate(grid.header):
        values = [v for v in grid.column(j) if not is_missing(v)]
        if not values:
            continue
        share = len(set(values)) / rows
        if share >= settings.row_level_distinct_share:
            yield Finding(
                "row-level",
                f"column {name}",
                f"{share:.0%} of {rows} values are distinct: this looks like one row per "
                "person" + ("" if release else " (name the release for an exact check)"),
                REVIEW if plausible else BLOCK,
            )
            return


def file_only_checks(
    grid: Grid, settings: SdcSettings, release: ReleaseEvidence | None, *, counts: bool
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Every rule that needs only the file (and the release's person count).

    ``counts`` is false when the cells were recomputed from the release instead.
    """
    roles = column_roles(grid)
    findings = [*too_many_rows(grid, settings, release)]
    findings.extend(distinct_columns(grid, settings, release))
    cells: list[dict[str, Any]] = []
    if counts:
        cells, cell_problems = count_cells(grid, roles, settings)
        findings.extend(cell_problems)
        findings.extend(unverified_statistics(grid, roles))
    return cells, findings


def scan_cells(grid: Grid, hunter: Hunter) -> Iterable[Finding]:
    """Run the hunter over every header and cell; a column named for birth dates blocks dates."""
    for j, name in enumerate(grid.header):
        yield from hunter.scan(name, grid.header_where(j), cell=True)
    births = [bool(re.search(r"dob|birth", name, re.IGNORECASE)) for name in grid.header]
    for i, j, value in grid.cells():
        yield from hunter.scan(
            value,
            grid.where(i, j),
            cell=True,
            birth=j < len(births) and births[j],
            dates_block=True,
        )
