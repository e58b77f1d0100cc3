"""Readable text tables for spec tests, in the style of ehrQL's spec tests.

A table is a header and rows separated by ``|``; an empty cell is null. Cell types are
inferred per column (ISO dates, integers, decimals, else text); a header ``name:str``
forces text (EQ-5D profiles look like numbers but are strings).
"""

from __future__ import annotations

import re
from datetime import date
from textwrap import dedent
from typing import Any

import pyarrow as pa

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


def _typed(values: list[str], forced: str | None) -> pa.Array:
    present = [v for v in values if v != ""]
    if forced == "str" or not present:
        return pa.array([v or None for v in values], pa.string())
    if all(_DATE.match(v) for v in present):
        return pa.array([date.fromisoformat(v) if v else None for v in values], pa.date32())
    if all(_INT.match(v) for v in present):
        return pa.array([int(v) if v else None for v in values], pa.int64())
    if all(_DECIMAL.match(v) or _INT.match(v) for v in present):
        return pa.array([float(v) if v else None for v in values], pa.float64())
    return pa.array([v or None for v in values], pa.string())


def table(text: str) -> pa.Table:
    """Parse a text table into an Arrow table."""
    lines = [line for line in dedent(text).strip().splitlines() if line.strip()]
    header = _cells(lines[0])
    rows = [_cells(line) for line in lines[1:] if not set(line.strip()) <= set("-|+ ")]
    for number, row in enumerate(rows, start=2):
        assert len(row) == len(header), f"row {number} has {len(row)} cells, not {len(header)}"
    columns: dict[str, pa.Array] = {}
    for position, spec in enumerate(header):
        name, _, forced = spec.partition(":")
        columns[name] = _typed([row[position] for row in rows], forced or None)
    return pa.table(columns)


def rows(arrow: pa.Table) -> list[dict[str, Any]]:
    """An Arrow table as row dicts in key order (queries promise no row order)."""
    keys = [k for k in ("person_id", "pid", "period") if k in arrow.column_names]
    return list(arrow.sort_by([(k, "ascending") for k in keys]).to_pylist())
