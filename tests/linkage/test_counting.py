"""The report's and the evaluation's counting on integer codes equals the plain definitions.

The 1M-person pipeline counts pairs, partner recall and subgroup rates with NumPy on
integer codes rather than by grouping strings; these properties check it against
straightforward pandas (and pair-listing) versions of the same definitions.
"""

from __future__ import annotations

from datetime import date
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.linkage.evaluation import (
    pairwise_metrics,
    partner_recall,
    truth_codes_of_keys,
)
from nightingale.linkage.identifiers import provider_keys
from nightingale.linkage.link import _aligned, _record_columns, _spine
from nightingale.linkage.report import MIN_CELL, _distinct, _subgroups, age_band, age_bands
from nightingale.platform.errors import NightingaleError

SOURCES = ["employment", "health", "housing"]

records_strategy = st.lists(
    st.tuples(
        st.sampled_from(SOURCES),
        st.integers(0, 6),  # predicted person
        st.integers(0, 6),  # true person
    ),
    max_size=40,
)


def _frame(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": [r[0] for r in rows],
            "record_id": [f"r{i}" for i in range(len(rows))],
            "person_id": [f"P{r[1]}" for r in rows],
            "truth_person": [f"T{r[2]}" for r in rows],
        }
    )


@settings(deadline=None)
@given(records_strategy)
def test_pairwise_counts_equal_listing_every_pair(rows: list[tuple[str, int, int]]) -> None:
    frame = _frame(rows)
    metrics = pairwise_metrics(frame)
    listed: dict[str, list[int]] = {}
    for i, j in combinations(range(len(rows)), 2):
        a, b = sorted([rows[i][0], rows[j][0]])
        same_p, same_t = rows[i][1] == rows[j][1], rows[i][2] == rows[j][2]
        counts = listed.setdefault(f"{a}~{b}", [0, 0, 0])
        counts[0] += same_p
        counts[1] += same_t
        counts[2] += same_p and same_t
    for name, (p, t, h) in listed.items():
        if name in metrics:
            got = metrics[name]
            assert (got["predicted_pairs"], got["true_pairs"], got["true_positives"]) == (p, t, h)
    total = [sum(c[k] for c in listed.values()) for k in range(3)]
    everything = metrics["all"]
    assert [
        everything["predicted_pairs"],
        everything["true_pairs"],
        everything["true_positives"],
    ] == total


@settings(deadline=None)
@given(records_strategy)
def test_partner_recall_equals_its_definition(rows: list[tuple[str, int, int]]) -> None:
    frame = _frame(rows)
    found = partner_recall(frame)
    for i, (_s, person, truth) in enumerate(rows):
        partners = [j for j, r in enumerate(rows) if r[2] == truth and j != i]
        if not partners:
            assert found.iloc[i] is pd.NA
        else:
            assert found.iloc[i] == all(rows[j][1] == person for j in partners)


def _subgroups_by_pandas(records: pd.DataFrame) -> list[dict[str, object]]:
    """The report's subgroup rows as first written, grouping strings with pandas."""
    rows: list[dict[str, object]] = []
    overall_link = float(records["linked_elsewhere"].mean()) if len(records) else 0.0
    overall_recall = float(records["partner_found"].mean())
    for dimension in ("age_band", "sex", "postcode_area", "source"):
        column = records[dimension].astype(object)
        values = column.where(column.groupby(column).transform("size") >= MIN_CELL, "other")
        for value, group in records.groupby(values):
            link_rate = float(group["linked_elsewhere"].mean())
            partners = group["partner_found"].dropna()
            recall = float(partners.mean()) if len(partners) else None
            rows.append(
                {
                    "dimension": dimension,
                    "value": str(value),
                    "records": len(group),
                    "linked": int(group["linked_elsewhere"].sum()),
                    "unlinked": int((~group["linked_elsewhere"]).sum()),
                    "link_rate": link_rate,
                    "link_rate_gap": link_rate - overall_link,
                    "partner_recall": recall,
                    "partner_recall_gap": None if recall is None else recall - overall_recall,
                    "flag": recall is not None and recall < overall_recall - 0.02,
                }
            )
    return rows


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["0-15", "16-24", "75+", "unknown"]),
            st.sampled_from(["F", "M", "unknown"]),
            st.sampled_from(["LS", "BD", "other", "unknown", "HX"]),
            st.sampled_from(SOURCES),
            st.booleans(),
            st.sampled_from([True, False, None]),
        ),
        min_size=1,
        max_size=80,
    )
)
def test_subgroup_rows_equal_grouping_strings(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    records = pd.DataFrame(
        rows,
        columns=["age_band", "sex", "postcode_area", "source", "linked_elsewhere", "partner"],
    )
    records["partner_found"] = pd.array(records.pop("partner").tolist(), dtype="boolean")
    if records["partner_found"].isna().all():
        records.loc[0, "partner_found"] = True
    as_categories = records.astype(
        {name: "category" for name in ("age_band", "sex", "postcode_area", "source")}
    )
    expected = _subgroups_by_pandas(records)
    assert _subgroups(records) == expected
    assert _subgroups(as_categories) == expected


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(date(1890, 1, 1), date(2030, 12, 31)))))
def test_age_bands_of_arrow_dates_equal_those_of_iso_text(dates: list[date | None]) -> None:
    on = date(2026, 3, 1)
    text = pd.Series([d.isoformat() if d else None for d in dates], dtype=object)
    arrow = age_bands(pa.array(dates, type=pa.date32()), on)
    assert arrow.astype(str).tolist() == age_band(text, on).tolist()


def test_record_columns_read_the_identifier_table_as_the_report_did() -> None:
    table = pa.table(
        {
            "record_id": ["a", "b", "c", "d"],
            "date_of_birth": pa.array(
                [date(1990, 5, 1), None, date(2020, 1, 1), date(1950, 1, 1)], pa.date32()
            ),
            "date_of_birth_valid": [True, False, True, False],
            "sex": ["F", None, "M", ""],
            "postcode": ["LS6 2AB", "BD1 1AA", None, "X"],
            "postcode_valid": [True, False, True, True],
        }
    )
    records = _record_columns([("health", table), ("housing", table.slice(0, 1))], date(2026, 1, 1))
    assert records["source"].astype(str).tolist() == ["health"] * 4 + ["housing"]
    assert records["record_id"].tolist() == ["a", "b", "c", "d", "a"]
    bands = ["35-44", "unknown", "0-15", "unknown", "35-44"]
    assert records["age_band"].astype(str).tolist() == bands
    assert records["sex"].astype(str).tolist() == ["F", "unknown", "M", "unknown", "F"]
    assert records["postcode_area"].astype(str).tolist() == ["LS", "unknown", "unknown", "X", "LS"]


def test_the_spine_follows_record_order_and_falls_back_to_a_join() -> None:
    records = pd.DataFrame(
        {"source": pd.Categorical(["health", "housing"]), "record_id": ["a", "b"]}
    )
    persons = pd.DataFrame(
        {
            "source_dataset": ["health", "housing"],
            "unique_id": ["a", "b"],
            "person_id": ["P1", "P2"],
        }
    )
    assert _aligned(records, persons)
    assert _spine(records, persons, "run", True)["person_id"].tolist() == ["P1", "P2"]
    shuffled = persons.iloc[::-1].reset_index(drop=True)
    assert not _aligned(records, shuffled)
    spine = _spine(records, shuffled, "run", False)
    assert spine[["record_id", "person_id", "link_run_id"]].values.tolist() == [
        ["a", "P1", "run"],
        ["b", "P2", "run"],
    ]


def test_truth_codes_follow_the_key_maps(tmp_path: Path) -> None:
    truth = tmp_path / "records.csv"
    truth.write_text(
        "provider,file,local_key,person_id\n"
        "health,g.csv,K1,N1\nhealth,g.csv,K2,N2\nhousing,t.csv,K1,N1\n"
    )
    keymaps = {
        "health": pa.table({"local_key": ["K1", "K2", "K3"], "record_id": ["h1", "h2", "h3"]}),
        "housing": pa.table({"local_key": ["K1"], "record_id": ["t1"]}),
    }
    sources = pd.Series(["housing", "health", "health", "health"])
    keys = provider_keys(sources, pd.Series(["t1", "h2", "h3", "h1"]), keymaps)
    codes = truth_codes_of_keys(truth, sources, keys)
    assert codes[0] == codes[3] != codes[1]
    assert codes[2] == -1 and np.all(codes[[0, 1, 3]] >= 0)
    # A record without a key, or of a provider the truth does not name, has none.
    by_key = truth_codes_of_keys(
        truth,
        pd.Series(["housing", "health", "health", "health", "health", "school"]),
        pa.array(["K1", "K2", "K3", "K1", None, "K1"]),
    )
    assert by_key.tolist() == [*codes.tolist(), -1, -1]
    truth.write_text(truth.read_text() + "health,g.csv,K1,N9\n")
    with pytest.raises(NightingaleError, match="twice"):
        truth_codes_of_keys(truth, pd.Series(["health"]), pa.array(["K1"]))


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=60))
def test_distinct_codes_found_by_sorting_are_numpys_unique(values: list[int]) -> None:
    codes = np.array(values, dtype=np.int64)
    assert _distinct(codes).tolist() == np.unique(codes).tolist()
