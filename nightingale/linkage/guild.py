"""Who fails to link: linked against unlinked records, in the GUILD form, without truth.

On real data there is no truth file, but the characteristics of the records that did not
link say where linkage error falls. GUILD (Gilbert et al., "GUILD: GUidance for
Information about Linking Data sets", J Public Health 2018) asks for exactly this table:
for each characteristic, the count and percentage of linked and of unlinked records,
their difference and a standardised difference. A characteristic over-represented among
the unlinked (a large standardised difference) is a group whose outcomes a linked
analysis will under-count.

Tables, all computed in the linkage zone from what it holds (source, person, and the
demographics of :mod:`.demographics`: age band, sex; IMD quintile and ethnicity where a
record carries them):

- ``all sources``: every record, linked when its person holds a record of another
  source; the source itself is one of the characteristics;
- one per source: that source's records, linked to any other source;
- one per ordered source pair (S, T): S's records, linked when the person holds a record
  of T.

Nothing identifying leaves: every cell is a count of records. Small cells are suppressed
as docs/sdc.md says for frequency tables (:func:`suppress_cells`): a count from 1 to
``threshold - 1`` is hidden with its percentage, then secondary suppression hides
more until no hidden cell can be recovered from the totals shown (see that function).
Zeros are shown: that nobody in a group failed to link reveals nothing about a person.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Characteristics in the order the tables show them; absent columns are skipped.
CHARACTERISTICS = ("age_band", "sex", "imd_quintile", "ethnicity")
SOURCE = "source"
#: docs/sdc.md's default minimum cell count; a deployment's ``[sdc] threshold`` may raise it.
DEFAULT_THRESHOLD = 10
UNKNOWN = "unknown"


def standardised_difference(p_linked: float, p_unlinked: float) -> float | None:
    """Cohen's h-like standardised difference of two proportions (Austin 2009).

    ``(p1 - p2) / sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2)``; 0 when both are 0 or 1, and
    None when the difference is not 0 but the pooled variance is (one all, other none).
    """
    variance = (p_linked * (1 - p_linked) + p_unlinked * (1 - p_unlinked)) / 2
    difference = p_linked - p_unlinked
    if variance <= 0:
        return 0.0 if difference == 0 else None
    return difference / math.sqrt(variance)


def _holdings(
    records: pd.DataFrame,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_], list[str]]:
    """Each record's source code, ``holds[record, source]`` (its person holds a record
    of that source) and the source names in code order."""
    column = records[SOURCE]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(str).astype("category")
    present = column.cat.remove_unused_categories()
    sources = sorted(str(s) for s in present.cat.categories)
    named = present.cat.rename_categories([str(c) for c in present.cat.categories])
    code = named.cat.reorder_categories(sources).cat.codes.to_numpy().astype(np.intp)
    person, _uniques = pd.factorize(records["person_id"])  # unsorted: labels never matter
    alone = person < 0  # a record without a person is a person of its own
    person[alone] = person.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    holds_person = np.zeros((int(person.max()) + 1 if len(person) else 0, len(sources)), bool)
    holds_person[person, code] = True
    return code, holds_person[person], sources


def _values(column: pd.Series) -> pd.Series:
    """Text values, missing and empty as ``unknown``."""
    text = column.astype("object").where(column.notna(), UNKNOWN).astype(str)
    return text.where(text != "", UNKNOWN)


Coded = dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]]


def _coded(frame: pd.DataFrame, characteristics: Sequence[str]) -> Coded:
    """Each characteristic's integer codes and values, factorised once for every table."""
    coded: Coded = {}
    for characteristic in characteristics:
        column = frame[characteristic]
        if isinstance(column.dtype, pd.CategoricalDtype):  # by its categories: no strings made
            labels = [str(c) or UNKNOWN for c in column.cat.categories] + [UNKNOWN]
            raw = column.cat.codes.to_numpy().astype(np.intp)
            raw[raw < 0] = len(labels) - 1
            names, inverse = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
            coded[characteristic] = (inverse.astype(np.intp)[raw], names.astype(object))
        else:
            codes, uniques = pd.factorize(_values(column))
            coded[characteristic] = (codes.astype(np.intp), np.asarray(uniques, dtype=object))
    return coded


def _table(
    name: str,
    population: str,
    linked_to: str,
    coded: Coded,
    mine: npt.NDArray[np.bool_],
    linked: npt.NDArray[np.bool_],
    threshold: int,
) -> dict[str, Any]:
    """One table over the records ``mine`` selects; ``linked`` is per selected record."""
    rows: list[dict[str, Any]] = []
    for characteristic, (all_codes, uniques) in coded.items():
        codes = all_codes[mine]
        everyone = np.bincount(codes, minlength=len(uniques))
        linked_n = np.bincount(codes, weights=linked, minlength=len(uniques)).astype(np.int64)
        present = [n for n in range(len(uniques)) if everyone[n]]
        for number in sorted(present, key=lambda n: str(uniques[n])):
            rows.append(
                {
                    "characteristic": characteristic,
                    "value": str(uniques[number]),
                    "linked": int(linked_n[number]),
                    "unlinked": int(everyone[number] - linked_n[number]),
                }
            )
    table = {
        "name": name,
        "population": population,
        "linked_to": linked_to,
        "linked": int(linked.sum()),
        "unlinked": int((~linked).sum()),
        "rows": rows,
    }
    return suppress_cells(table, threshold)


def suppress_cells(table: dict[str, Any], threshold: int) -> dict[str, Any]:
    """``table`` with small cells hidden (None) and its percentages and differences set.

    Works on counts already partly hidden, so a page may apply a deployment's higher
    threshold to a stored table. Rules, repeated until nothing changes:

    1. a column total (linked or unlinked records) from 1 to ``threshold - 1`` hides the
       total and every cell of that column;
    2. a cell from 1 to ``threshold - 1`` is hidden (primary suppression);
    3. within a characteristic, a column with exactly one hidden cell hides its smallest
       visible non-zero cell too (a zero if there is none; the column's total if
       nothing is left): the column adds up to the total shown;
    4. a row with one hidden cell hides the other: how many records have the value is
       published elsewhere (the report's subgroup rows, another table), so linked =
       records - unlinked would give it away.
    """
    rows = [dict(row) for row in table["rows"]]
    totals = {"linked": table["linked"], "unlinked": table["unlinked"]}
    for column, total in totals.items():
        if total is not None and 0 < total < threshold:
            totals[column] = None
    changed = True
    while changed:
        changed = False
        for column in ("linked", "unlinked"):
            for row in rows:
                value = row[column]
                small = value is not None and 0 < value < threshold
                if value is not None and (totals[column] is None or small):
                    row[column] = None
                    changed = True
            for characteristic in dict.fromkeys(r["characteristic"] for r in rows):
                group = [r for r in rows if r["characteristic"] == characteristic]
                hidden = [r for r in group if r[column] is None]
                shown = [r for r in group if r[column] is not None]
                visible = [r for r in shown if r[column]] or shown  # zeros only as a last resort
                if len(hidden) == 1 and totals[column] is not None:
                    if visible:
                        min(visible, key=lambda r: (r[column], r["value"]))[column] = None
                    else:  # nothing else to hide: the total would give the cell away
                        totals[column] = None
                    changed = True
        for row in rows:
            if (row["linked"] is None) != (row["unlinked"] is None):
                row["linked"] = row["unlinked"] = None
                changed = True
    for row in rows:
        _percentages(row, totals)
    return {**table, "linked": totals["linked"], "unlinked": totals["unlinked"], "rows": rows}


def _percentages(row: dict[str, Any], totals: dict[str, int | None]) -> None:
    shares: dict[str, float | None] = {}
    for column in ("linked", "unlinked"):
        count, total = row[column], totals[column]
        share = None if count is None or not total else count / total
        shares[column] = share
        row[f"{column}_pct"] = None if share is None else round(100 * share, 2)
    p_linked, p_unlinked = shares["linked"], shares["unlinked"]
    if p_linked is None or p_unlinked is None:
        row["difference"] = row["std_difference"] = None
        return
    row["difference"] = round(100 * (p_linked - p_unlinked), 2)
    std = standardised_difference(p_linked, p_unlinked)
    row["std_difference"] = None if std is None else round(std, 4)


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def guild_tables(records: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """The report's ``guild`` section from one row per spine record.

    ``records`` has ``source``, ``person_id`` and any of :data:`CHARACTERISTICS`. The
    tables depend on the records' content only: not on their order, nor on the values
    of the person ids (any relabelling of persons gives the same tables).
    """
    characteristics = [c for c in CHARACTERISTICS if c in records]
    tables: list[dict[str, Any]] = []
    if len(records):
        frame = records.reset_index(drop=True)
        code, holds, sources = _holdings(frame)
        own = np.zeros_like(holds)
        own[np.arange(len(code)), code] = True
        elsewhere: npt.NDArray[np.bool_] = np.asarray((holds & ~own).any(axis=1), dtype=bool)
        coded = _coded(frame, [*characteristics, SOURCE])
        by_source = {c: coded[c] for c in characteristics}
        everything = np.ones(len(frame), dtype=bool)
        tables.append(
            _table(
                "all sources",
                "all records",
                "a record of another source",
                coded,
                everything,
                elsewhere,
                threshold,
            )
        )
        for s, source in enumerate(sources):
            mine = code == s
            tables.append(
                _table(
                    source,
                    f"{source} records",
                    "a record of another source",
                    by_source,
                    mine,
                    elsewhere[mine],
                    threshold,
                )
            )
            for t, other in enumerate(sources):
                if t != s:
                    tables.append(
                        _table(
                            f"{source} to {other}",
                            f"{source} records",
                            _a(f"{other} record"),
                            by_source,
                            mine,
                            holds[mine, t],
                            threshold,
                        )
                    )
    return {
        "threshold": threshold,
        "characteristics": characteristics,
        "tables": tables,
    }


def resuppressed(guild: dict[str, Any], threshold: int) -> dict[str, Any]:
    """A stored ``guild`` section under a (higher) deployment threshold, for display."""
    if threshold <= int(guild.get("threshold", 0)):
        return guild
    return {
        **guild,
        "threshold": threshold,
        "tables": [suppress_cells(t, threshold) for t in guild.get("tables", [])],
    }


def tables_for_sources(guild: dict[str, Any], sources: Sequence[str]) -> list[dict[str, Any]]:
    """The tables about ``sources`` (a request's datasets): each source's own table and
    the pairs among them; every table when ``sources`` is empty."""
    wanted = set(sources)
    tables: list[dict[str, Any]] = guild.get("tables", [])
    if not wanted:
        return tables
    chosen = []
    for table in tables:
        name = str(table["name"])
        parts = name.split(" to ")
        if name == "all sources" or set(parts) <= wanted:
            chosen.append(table)
    return chosen
