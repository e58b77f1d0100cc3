"""``link-files``: link arbitrary CSV files through the platform's pipeline.

Each file's columns are mapped onto identifier fields (``--map given_name=first``; a
field mapped more than once joins the columns with a space, e.g. the parts of an
address). Values are normalised, tokenised with a key that lives only for the run, and
linked by the same Splink model as ``nightingale link``. The output names every input
row's person: ``file``, ``record_id``, ``person_id``; :func:`files_report` is the run's
quality report (precision and recall estimated without truth, :mod:`.estimates`).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from nightingale.linkage.engine import LinkOptions, LinkResult, run_splink
from nightingale.linkage.fields import IDENTIFIER_FIELDS
from nightingale.linkage.matchkeys import match_keys
from nightingale.linkage.normalise import normalise_identifiers
from nightingale.linkage.tokens import Tokeniser
from nightingale.platform.engines import private_scratch
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import MemoryKeyStore


@dataclass(frozen=True)
class FileLinkResult:
    """The spine of a ``link-files`` run plus the underlying linkage result."""

    spine: pd.DataFrame  # file, record_id, person_id
    result: LinkResult
    seconds: float


def parse_mapping(items: Sequence[str]) -> dict[str, list[str]]:
    """``["given_name=first", "address=street", "address=town"]`` -> field -> columns."""
    mapping: dict[str, list[str]] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not column:
            raise NightingaleError(f"--map {item!r}: expected FIELD=COLUMN")
        if field not in IDENTIFIER_FIELDS:
            known = ", ".join(IDENTIFIER_FIELDS)
            raise NightingaleError(f"--map {item!r}: unknown field {field!r}; fields are {known}")
        mapping.setdefault(field, []).append(column)
    if not mapping:
        raise NightingaleError("give at least one --map FIELD=COLUMN")
    return mapping


def read_mapped(path: Path, id_column: str, mapping: dict[str, list[str]]) -> pd.DataFrame:
    """One file's record ids and raw identifier fields (missing columns give empty fields)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise NightingaleError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise NightingaleError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise NightingaleError(f"{path}: not a readable CSV file ({exc})") from exc
    if id_column not in frame:
        raise NightingaleError(f"{path}: no id column {id_column!r}")
    ids = frame[id_column].str.strip()
    duplicated = ids.duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax()) + 2
        raise NightingaleError(f"{path}, row {row}, field {id_column}: record id is repeated")
    out = pd.DataFrame({"record_id": ids})
    for field, columns in mapping.items():
        present = [c for c in columns if c in frame]
        if not present:
            out[field] = ""
            continue
        joined = frame[present].apply(lambda s: s.str.strip()).agg(" ".join, axis=1)
        out[field] = joined.str.split().str.join(" ")
    return out


def link_files(
    paths: Sequence[Path],
    id_column: str,
    mapping: dict[str, list[str]],
    date_format: str | None = None,
    options: LinkOptions | None = None,
    threads: int = 2,
) -> FileLinkResult:
    """Link the rows of ``paths`` to persons; returns one spine row per input row."""
    started = time.perf_counter()
    if not paths:
        raise NightingaleError("give at least one file to link")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise NightingaleError("files to link must have distinct names")
    frames = []
    for path in paths:
        frame = read_mapped(path, id_column, mapping)
        frame.insert(0, "file", path.name)
        frames.append(frame)
    raw = pd.concat(frames, ignore_index=True)
    keystore = MemoryKeyStore()
    tokeniser = Tokeniser(keystore.ensure("linkage"))
    normalised = normalise_identifiers(raw, date_format=date_format)
    table = match_keys(normalised, tokeniser, raw["record_id"], raw["file"])
    # No data root here: DuckDB spills to a fresh private folder in the system temp.
    spill = private_scratch("duckdb")
    try:
        connection = duckdb.connect(config={"threads": threads, "temp_directory": str(spill)})
        try:
            result = run_splink(table, tokeniser, connection, options)
        finally:
            connection.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    spine = pd.DataFrame(
        {
            "file": result.persons["source_dataset"],
            "record_id": result.persons["unique_id"],
            "person_id": result.person_ids(),
        }
    )
    order = pd.MultiIndex.from_frame(raw[["file", "record_id"]])
    spine = spine.set_index(["file", "record_id"]).reindex(order).reset_index()
    return FileLinkResult(spine, result, time.perf_counter() - started)


def files_report(result: FileLinkResult, one_per_person: bool = False) -> dict[str, Any]:
    """The run's report: counts, threshold and the estimated precision and recall.

    ``one_per_person``: each file holds at most one record per person, so two records
    of one file in one person are a false link (evidence the estimate uses).
    """
    from nightingale.linkage.report import estimated_quality

    records = result.spine.rename(columns={"file": "source"})
    files = tuple(sorted(records["source"].astype(str).unique())) if one_per_person else ()
    return {
        "records": len(records),
        "persons": int(records["person_id"].nunique()),
        "threshold_match_weight": result.result.options.threshold_weight,
        "fields": result.result.fields,
        "counts": result.result.counts,
        "one_record_per_person": one_per_person,
        "estimated": estimated_quality(result.result, records, files),
    }


def write_report_json(report: dict[str, Any], out: Path) -> None:
    """Write the report JSON atomically."""
    from nightingale.platform.storage import atomic_write_text

    atomic_write_text(out, json.dumps(report, indent=2, sort_keys=True) + "\n")


def write_spine_csv(spine: pd.DataFrame, out: Path) -> None:
    """Write the spine CSV atomically."""
    from nightingale.platform.storage import atomic_write_text

    atomic_write_text(out, spine.to_csv(index=False))


__all__ = [
    "FileLinkResult",
    "files_report",
    "link_files",
    "parse_mapping",
    "write_report_json",
    "write_spine_csv",
]
