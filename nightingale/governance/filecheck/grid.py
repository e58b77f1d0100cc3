"""A table file read as text cells that know where they are.

Every cell stays the exact text the file holds (so scanners see what would leave) and
knows its place: ``line 12, column pid`` for CSV/TSV (the file's own line numbers, the
header being line 1) or ``row 12, column pid`` for Parquet. Numbers are parsed on demand.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nightingale.governance.errors import InvalidInput

MISSING = frozenset({"", "na", "nan", "null", "none", "n/a", "<na>"})


def number(text: str) -> float | None:
    """The number a cell shows, or ``None`` for text and missing values."""
    stripped = text.strip()
    if stripped.lower() in MISSING:
        return None
    try:
        value = float(stripped)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING


@dataclass(frozen=True)
class Grid:
    """A table's header and rows of text, with each row's line (or row) number."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    place: str = "line"  # "line" for text files, "row" for Parquet

    def where(self, row: int, column: int) -> str:
        name = self.header[column] if column < len(self.header) else f"#{column + 1}"
        return f"{self.place} {self.lines[row]}, column {name}"

    def header_where(self, column: int) -> str:
        return f"{self.place} 1, column header {column + 1}" if self.place == "line" else "header"

    def column(self, index: int) -> list[str]:
        return [row[index] if index < len(row) else "" for row in self.rows]

    def cells(self) -> Iterator[tuple[int, int, str]]:
        for i, row in enumerate(self.rows):
            for j, value in enumerate(row):
                yield i, j, value


def read_delimited(path: Path, delimiter: str) -> tuple[Grid, list[str]]:
    """A CSV/TSV file as a grid, and the problems of shape (ragged rows) found reading it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: not readable as UTF-8 text ({exc})") from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    problems: list[str] = []
    header: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            if not header and not rows:
                header = tuple(record)
            elif record:
                rows.append(tuple(record))
                lines.append(start)
                if len(record) != len(header):
                    problems.append(
                        f"line {start} has {len(record)} fields, the header {len(header)}"
                    )
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"{path.name}: not readable as delimited text ({exc})") from exc
    return Grid(header, tuple(rows), tuple(lines)), problems


def read_parquet_grid(path: Path) -> Grid:
    """A Parquet file as a grid of the text each value would print as."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path.name}: not readable as Parquet ({exc})") from exc
    columns = [
        ["" if value is None else str(value) for value in table.column(i).to_pylist()]
        for i in range(table.num_columns)
    ]
    rows = tuple(zip(*columns, strict=True)) if columns else ()
    return Grid(
        tuple(str(n) for n in table.column_names),
        tuple(tuple(r) for r in rows),
        tuple(range(1, len(rows) + 1)),
        place="row",
    )
