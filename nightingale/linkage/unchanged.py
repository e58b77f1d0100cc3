"""Records whose identifiers are as the previous run linked them, found by comparing rows.

An incremental run must know which records are new or changed since the run in force
(:func:`.incremental.fresh_records`). Each run keeps a keyed fingerprint of every
record's identifiers (one HMAC per record, :func:`.incremental.fingerprints`) for the
next to compare; at 100,000 people that loop is the largest piece of a refresh's own
work on the main thread, and nearly every record's fingerprint comes out as it was.

Most of them need not be made again. The run in force names the provider versions it
linked (``versions`` in its report); a record whose row in the newest version equals,
field by field, its row in the version the previous run linked has the previous run's
fingerprint (the same fields under the same key give the same HMAC), which
``records.parquet`` holds. Only the other records are hashed. The comparison is Arrow's,
column by column; a provider whose previous version is gone (retention), whose fields
differ, or whose record ids repeat is simply hashed in full.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.platform.contracts import SPINE_REPORT_JSON


def linked_versions(folder: Path) -> dict[str, str]:
    """The provider versions the run in ``folder`` linked (empty when its report does
    not say: a run from before reports named them)."""
    try:
        report = json.loads((folder / SPINE_REPORT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    versions = report.get("versions")
    return {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {}


def same_rows(table: pa.Table, earlier: pa.Table) -> npt.NDArray[np.bool_]:
    """Per row of ``table``: whether ``earlier`` has a row with its record id and equal
    values in every field (missing where it is missing). All false when the two tables'
    fields differ or either repeats a record id."""
    none = np.zeros(table.num_rows, dtype=bool)
    if sorted(table.column_names) != sorted(earlier.column_names):
        return none
    ids, earlier_ids = table.column("record_id"), earlier.column("record_id")
    if pc.count_distinct(ids).as_py() != len(ids) or (
        pc.count_distinct(earlier_ids).as_py() != len(earlier_ids)
    ):
        return none
    at = pc.index_in(ids, value_set=earlier_ids.combine_chunks()).fill_null(-1).to_numpy()
    same: npt.NDArray[np.bool_] = at >= 0
    if not same.any():
        return same
    taken = earlier.take(pa.array(np.maximum(at, 0)))
    for name in table.column_names:
        if name == "record_id":
            continue
        now, before = table.column(name), taken.column(name)
        if now.type != before.type:
            return none
        both_missing = pc.and_(pc.is_null(now), pc.is_null(before))
        equal = pc.or_kleene(pc.equal(now, before), both_missing)
        same &= equal.fill_null(False).to_numpy(zero_copy_only=False)
    return same


def unchanged_records(
    tables: list[tuple[str, pa.Table]], earlier: dict[str, pa.Table | None]
) -> npt.NDArray[np.bool_]:
    """Per record of ``tables`` (each provider's newest identifiers, in load order):
    whether its row is as in ``earlier[provider]``, the identifiers the previous run
    linked (None: that version is the newest still; missing: not known, none is)."""
    parts = []
    for name, table in tables:
        if name not in earlier:
            parts.append(np.zeros(table.num_rows, dtype=bool))
            continue
        before = earlier[name]
        parts.append(np.ones(table.num_rows, bool) if before is None else same_rows(table, before))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
