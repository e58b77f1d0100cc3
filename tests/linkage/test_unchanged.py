"""Records unchanged since the previous run, found by comparing rows instead of hashing.

The rule that matters: a record said to be unchanged must have the fingerprint hashing
would give it (or a changed record would keep its old links); a record copied as it was
is found unchanged (or nothing is saved).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.linkage.incremental import fingerprints
from nightingale.linkage.tokens import Tokeniser
from nightingale.linkage.unchanged import linked_versions, same_rows, unchanged_records
from nightingale.platform.keystore import Key

TOKENISER = Tokeniser(Key("linkage-v1", bytes(32)))
VALUES = st.one_of(st.none(), st.sampled_from(["", "ann", "bob", "LS1 4AP"]))


def _table(ids: list[str], names: list[str | None], places: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "record_id": pa.array(ids, pa.string()),
            "given_name": pa.array(names, pa.string()),
            "postcode": pa.array(places, pa.string()),
        }
    )


@st.composite
def _versions(draw: st.DrawFn) -> tuple[pa.Table, pa.Table]:
    """An earlier table and a later one: some rows copied, some edited, some new, in
    another order."""
    size = draw(st.integers(0, 8))
    ids = [f"r{n}" for n in range(size)]
    earlier = _table(ids, draw(st.lists(VALUES, min_size=size, max_size=size)), [None] * size)
    rows = earlier.to_pylist()
    later = []
    for row in rows:
        action = draw(st.sampled_from(["copy", "edit", "drop"]))
        if action == "edit":
            row = {**row, draw(st.sampled_from(["given_name", "postcode"])): draw(VALUES)}
        if action != "drop":
            later.append(row)
    later += [
        {"record_id": f"new{n}", "given_name": draw(VALUES), "postcode": None}
        for n in range(draw(st.integers(0, 2)))
    ]
    later = draw(st.permutations(later))
    return earlier, pa.Table.from_pylist(later, schema=earlier.schema)


@settings(max_examples=80, deadline=None)
@given(_versions())
def test_a_row_found_unchanged_has_the_fingerprint_hashing_gives_and_a_copy_is_found(
    versions: tuple[pa.Table, pa.Table],
) -> None:
    earlier, later = versions
    same = same_rows(later, earlier)
    hashed_later = fingerprints([("health", later)], TOKENISER)
    hashed_earlier = dict(
        zip(
            earlier["record_id"].to_pylist(),
            fingerprints([("health", earlier)], TOKENISER).tolist(),
            strict=True,
        )
    )
    before = {row["record_id"]: row for row in earlier.to_pylist()}
    for at, row in enumerate(later.to_pylist()):
        if same[at]:
            assert hashed_later[at] == hashed_earlier[row["record_id"]]
        assert same[at] == (before.get(row["record_id"]) == row)
    # The known fingerprints taken as they are give what hashing every record gives.
    known = np.array([hashed_earlier.get(i, 0) for i in later["record_id"].to_pylist()])
    assert fingerprints([("health", later)], TOKENISER, (same, known)).tolist() == (
        hashed_later.tolist()
    )


def test_nothing_is_found_unchanged_when_the_fields_differ_or_record_ids_repeat() -> None:
    earlier = _table(["r1", "r2"], ["ann", "bob"], [None, None])
    assert same_rows(earlier, earlier).tolist() == [True, True]
    assert same_rows(earlier.drop_columns(["postcode"]), earlier).tolist() == [False, False]
    twice = _table(["r1", "r1"], ["ann", "ann"], [None, None])
    assert same_rows(twice, twice).tolist() == [False, False]
    assert same_rows(earlier, twice).tolist() == [False, False]


def test_a_provider_is_unchanged_when_its_version_is_the_same_and_unknown_when_it_is_gone() -> None:
    table = _table(["r1"], ["ann"], [None])
    tables = [("employment", table), ("health", table), ("housing", table)]
    # employment: the same version; health: compared; housing: its earlier version is gone.
    found = unchanged_records(tables, {"employment": None, "health": table})
    assert found.tolist() == [True, True, False]


def test_the_versions_a_run_linked_are_read_from_its_report(tmp_path: Path) -> None:
    assert linked_versions(tmp_path) == {}  # no report
    (tmp_path / "report.json").write_text(json.dumps({"run_id": "x"}))
    assert linked_versions(tmp_path) == {}  # a report from before reports named them
    (tmp_path / "report.json").write_text(json.dumps({"versions": {"health": "v2"}}))
    assert linked_versions(tmp_path) == {"health": "v2"}
