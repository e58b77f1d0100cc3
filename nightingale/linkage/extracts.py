"""Reading an extract file: the file-level checks that make a file unusable.

A file is *unusable* (nothing of it is ingested, the command fails) when it is empty,
not UTF-8, lacks a column its schema needs or has columns the schema does not know (an
unknown column could carry identifiers into the content zone), or is truncated (the
contract ends every line with a newline). Rows with the wrong number of fields are not
a file-level failure: they are returned separately and quarantined.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from nightingale.platform.errors import NightingaleError

#: The dtype of every extract column: text, missing values as ``pd.NA``.
TEXT = pd.StringDtype("pyarrow")


class UnusableFile(NightingaleError):
    """The file as a whole cannot be ingested."""


@dataclass(frozen=True)
class BadRow:
    """A row the CSV parser could not split into the header's fields."""

    line: int | None
    reason: str
    text: str


def _header(path: Path, data: bytes) -> list[str]:
    first = data.split(b"\n", 1)[0]
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableFile(f"{path}: not UTF-8 text (header, byte {exc.start})") from exc
    return next(csv.reader([line.rstrip("\r")]), [])


def read_extract(path: Path, expected: list[str]) -> tuple[pd.DataFrame, list[BadRow]]:
    """Every well-formed row as text (missing values as ``pd.NA``) plus the malformed rows."""
    try:
        with path.open("rb") as handle:
            first = handle.read(1 << 16)
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(size - 1, 0))
            last = handle.read(1)
    except OSError as exc:
        raise UnusableFile(f"{path}: cannot read ({exc.strerror})") from exc
    if not first.strip():
        raise UnusableFile(f"{path}: empty file")
    if last != b"\n":
        raise UnusableFile(f"{path}: truncated (the last line has no newline)")
    header = _header(path, first)
    missing = [c for c in expected if c not in header]
    if missing:
        raise UnusableFile(f"{path}: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in expected]
    if unknown:
        raise UnusableFile(f"{path}: unexpected column(s) {', '.join(unknown)}")
    bad: list[BadRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        bad.append(BadRow(row.number, reason, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,  # parsed from the file: the raw bytes never sit in memory whole
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise UnusableFile(f"{path}: not UTF-8 text") from exc
        raise UnusableFile(f"{path}: not a readable CSV file ({exc})") from exc
    columns = {}
    for column in expected:
        trimmed = pc.utf8_trim_whitespace(table.column(column))
        columns[column] = pc.if_else(pc.equal(trimmed, ""), None, trimmed)
    # Arrow-backed strings: validation and string checks run in Arrow, not per object.
    frame = pa.table(columns).to_pandas(types_mapper={pa.string(): TEXT}.get)
    return frame, bad
