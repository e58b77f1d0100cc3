"""Training counts: what they count, and that a refresh's update equals counting again.

The counts are integers, so an incremental run's model equals a full relink's exactly
when its updated counts equal a full count; the rule is checked here on random tables
and random refreshes (added, changed and removed records, a u sample that shifts), and
on the synthetic region in ``test_incremental_retrained``.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nightingale.linkage.model import SEX, gamma
from nightingale.linkage.training import (
    PairCounter,
    TrainingCounts,
    TrainingPlan,
    add,
    content_ranks,
    deterministic_pairs,
    full_counts,
    gamma_sql,
    link_type,
    patterns_of,
    sample_positions,
    sides_of,
    u_sample_size,
    updated_counts,
)


def _exact(name: str, column: str) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_levels": [
            {
                "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
                "is_null_level": True,
            },
            {"sql_condition": f'"{column}_l" = "{column}_r"'},
            {"sql_condition": f'"{column}_l" = "{column}_r" || \'x\''},
            {"sql_condition": "ELSE"},
        ],
    }


#: Two comparisons (one reads one side's value against the other's: orientation counts),
#: an EM block, the deterministic rule's columns and a sample of 6 records.
PLAN = TrainingPlan(
    comparisons=[_exact("first", "a"), _exact("second", "b")],
    blocks=['l."a" = r."a"'],
    deterministic=["a", "b"],
    sample_size=6,
)

_VALUES = st.sampled_from(["p", "q", "px", "qx", None])
_RECORD = st.tuples(st.sampled_from(["one", "two"]), _VALUES, _VALUES)


def _table(records: dict[tuple[str, str], tuple[str | None, str | None]]) -> pa.Table:
    keys = sorted(records)
    return pa.table(
        {
            "source_dataset": [source for source, _id in keys],
            "unique_id": [record_id for _source, record_id in keys],
            "a": pa.array([records[k][0] for k in keys], pa.string()),
            "b": pa.array([records[k][1] for k in keys], pa.string()),
        }
    )


def _ranks(table: pa.Table) -> Any:
    return content_ranks(
        table.column("source_dataset").to_pylist(), table.column("unique_id").to_pylist(), 3
    )


def _same(one: TrainingCounts, other: TrainingCounts) -> None:
    pd.testing.assert_frame_equal(one.u_patterns, other.u_patterns)
    assert one.em_patterns.keys() == other.em_patterns.keys()
    for rule in one.em_patterns:
        pd.testing.assert_frame_equal(one.em_patterns[rule], other.em_patterns[rule])
    assert (one.deterministic_pairs, one.all_pairs) == (other.deterministic_pairs, other.all_pairs)
    key = ["source", "record_id"]
    assert sorted(map(tuple, one.sample[key].values)) == sorted(
        map(tuple, other.sample[key].values)
    )


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(_RECORD, min_size=2, max_size=14),
    changes=st.lists(st.tuples(st.sampled_from(["add", "change", "remove"]), _RECORD), max_size=8),
)
def test_updated_counts_equal_a_full_count_after_any_refresh(
    before: list[tuple[str, str | None, str | None]],
    changes: list[tuple[str, tuple[str, str | None, str | None]]],
) -> None:
    old = {(source, f"r{n:02d}"): (a, b) for n, (source, a, b) in enumerate(before)}
    new = dict(old)
    for number, (action, (source, a, b)) in enumerate(changes):
        existing = sorted(new)
        if action == "add" or not existing:
            new[(source, f"n{number:02d}")] = (a, b)
        elif action == "change":
            new[existing[number % len(existing)]] = (a, b)
        elif len(new) > 2:
            del new[existing[number % len(existing)]]
    old_table, new_table = _table(old), _table(new)
    # A refresh that changes the number of sources changes how pairs are oriented: such
    # a run is a full relink (incremental.full_relink_reason), never an update.
    assume(link_type(old_table) == link_type(new_table))
    previous = full_counts(old_table, _ranks(old_table), PLAN)
    keys = sorted(new)
    fresh = np.array([k not in old or old[k] != new[k] for k in keys])
    departed = _table({k: v for k, v in old.items() if k not in new or new[k] != v})
    updated = updated_counts(previous, new_table, fresh, departed, _ranks(new_table), PLAN)
    _same(updated, full_counts(new_table, _ranks(new_table), PLAN))


@settings(max_examples=40, deadline=None)
@given(records=st.lists(_RECORD, min_size=2, max_size=14), flags=st.lists(st.booleans()))
def test_the_fresh_pairs_of_a_block_count_as_the_block_counts_them(
    records: list[tuple[str, str | None, str | None]], flags: list[bool]
) -> None:
    """The incremental run takes its EM blocks' fresh pairs from the prediction's
    blocked pairs (one bit per rule): the same patterns as counting the block."""
    table = _table({(source, f"r{n:02d}"): (a, b) for n, (source, a, b) in enumerate(records)})
    fresh = np.array([flags[n % len(flags)] if flags else False for n in range(table.num_rows)])
    rules = ['l."b" = r."b"', *PLAN.blocks]
    counter = PairCounter(PLAN.comparisons, link_type(table) == "dedupe_only")
    try:
        counter.load("records", table, fresh)
        found = counter.blocked_pairs("records", rules)
        counted = counter.touching(*sides_of("records"), PLAN.blocks[0])
    finally:
        counter.close()
    if not len(found):
        assert counted.empty
        return
    in_block = (found["rules"].to_numpy() & (1 << 1)) != 0
    pd.testing.assert_frame_equal(patterns_of(found[in_block], PLAN.names), counted)
    assert (found["rules"] > 0).all()


def test_counts_that_do_not_belong_to_the_previous_records_are_refused() -> None:
    """An attacker (or a bug) pairing one run's counts with another run's records."""
    records = {("one", f"r{n}"): ("p", "q") for n in range(5)}
    table = _table(records)
    other = full_counts(
        _table({("one", "z1"): ("q", "p"), ("one", "z2"): ("q", "p")}),
        _ranks(_table({("one", "z1"): ("q", "p"), ("one", "z2"): ("q", "p")})),
        PLAN,
    )
    fresh = np.zeros(table.num_rows, bool)
    departed = _table({("one", "r0"): ("p", "q")})
    with pytest.raises(ValueError, match="went negative"):
        updated_counts(other, table, fresh, departed, _ranks(table), PLAN)


def test_the_u_sample_is_the_records_of_smallest_content_rank() -> None:
    ranks = np.array([50, 10, 40, 20, 30], dtype=np.uint64)
    assert sample_positions(ranks, 2).tolist() == [1, 3]
    assert sample_positions(ranks, 9).tolist() == [0, 1, 2, 3, 4]
    assert u_sample_size(4950) == 100  # 100 records have 4,950 pairs


@given(st.lists(st.tuples(st.sampled_from(["health", "housing"]), st.text(max_size=8)), max_size=8))
def test_content_ranks_are_the_standard_md5_of_seed_provider_and_key(
    records: list[tuple[str, str]],
) -> None:
    """Standard MD5 (not an engine's own hash), so no upgrade changes the u sample."""
    sources = [source for source, _key in records]
    keys = [key for _source, key in records]
    expected = [
        int.from_bytes(hashlib.md5(f"42\x1f{s}\x1f{k}".encode()).digest()[:8], "little")
        for s, k in records
    ]
    assert content_ranks(sources, keys, 42).tolist() == expected


@settings(deadline=None)  # DuckDB's first query on a busy machine can take a second
@given(
    st.lists(
        st.tuples(st.sampled_from(["h", "e"]), st.text(min_size=1, max_size=6)),
        unique=True,
        min_size=1,
        max_size=20,
    )
)
def test_content_ranks_depend_on_content_and_seed_not_on_order(
    records: list[tuple[str, str]],
) -> None:
    sources, keys = zip(*records, strict=True)
    ranks = dict(zip(records, content_ranks(sources, keys, 42), strict=True))
    backwards = content_ranks(sources[::-1], keys[::-1], 42)
    assert dict(zip(records[::-1], backwards, strict=True)) == ranks
    if len(records) > 3:
        assert content_ranks(sources, keys, 43).tolist() != list(ranks.values())


@given(st.lists(st.tuples(_VALUES, _VALUES), max_size=25))
def test_deterministic_pairs_count_pairs_agreeing_on_every_column(
    rows: list[tuple[Any, Any]],
) -> None:
    table = pa.table(
        {
            "a": pa.array([a for a, _b in rows], pa.string()),
            "b": pa.array([b for _a, b in rows], pa.string()),
        }
    )
    expected = sum(
        1
        for (a1, b1), (a2, b2) in itertools.combinations(rows, 2)
        if None not in (a1, b1, a2, b2) and (a1, b1) == (a2, b2)
    )
    assert deterministic_pairs(table, ["a", "b"]) == expected


def test_levels_are_numbered_as_splink_numbers_them() -> None:
    sql = gamma_sql(SEX)
    assert sql.startswith('CASE WHEN l."sex" IS NULL OR r."sex" IS NULL THEN -1')
    assert f'WHEN l."sex" = r."sex" THEN {gamma("sex", "exact")}' in sql
    assert sql.endswith(f"ELSE {gamma('sex', 'different')} END")


def test_pattern_counts_add_and_subtract_to_one_row_per_pattern() -> None:
    one = pd.DataFrame({"gamma_x": [1, 0], "count": [3, 2]})
    other = pd.DataFrame({"gamma_x": [1], "count": [3]})
    total = add(one, other, signs=(1, -1))
    assert total.to_dict("list") == {"gamma_x": [0], "count": [2]}


def test_counts_survive_their_json_form() -> None:
    table = _table({("one", f"r{n}"): ("p" if n % 2 else "q", "q") for n in range(8)})
    counts = full_counts(table, _ranks(table), PLAN)
    _same(TrainingCounts.from_json(counts.as_json()), counts)
