"""The report's link rates by subgroup never reveal a small subgroup, directly or by
subtraction from the overall figures (docs/security.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nightingale.linkage.report import (
    _subgroups,
    at_threshold,
    subgroups_at,
    suppress_subgroups,
)

DIMENSIONS = ("age_band", "sex", "postcode_area", "source")


def _region(sexes: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Records per sex as (linked, unlinked); the other dimensions large and even."""
    rows = []
    for sex, (linked, unlinked) in sexes.items():
        rows += [(sex, True)] * linked + [(sex, False)] * unlinked
    frame = pd.DataFrame(rows, columns=["sex", "linked_elsewhere"])
    frame["age_band"] = np.where(np.arange(len(frame)) % 2, "35-44", "45-54")
    frame["postcode_area"] = "LS"
    frame["source"] = np.where(np.arange(len(frame)) % 3, "health", "housing")
    return frame


def _report(records: pd.DataFrame, threshold: int = 10) -> dict[str, Any]:
    linked = int(records["linked_elsewhere"].sum())
    overall = {
        "records": len(records),
        "linked": linked,
        "unlinked": len(records) - linked,
        "link_rate": linked / len(records),
    }
    rows = suppress_subgroups(_subgroups(records), linked, len(records) - linked, threshold)
    return {"overall": overall, "subgroups": rows, "subgroups_threshold": threshold}


def _recoverable(report: dict[str, Any], dimension: str) -> dict[str, tuple[int, int]]:
    """What an attacker works out for hidden rows of ``dimension``: a hidden row is
    recovered when it is the only one hidden (overall minus every row shown)."""
    rows = [r for r in report["subgroups"] if r["dimension"] == dimension]
    hidden = [r for r in rows if r["records"] is None]
    if len(hidden) != 1:
        return {}
    shown = [r for r in rows if r["records"] is not None]
    records = report["overall"]["records"] - sum(r["records"] for r in shown)
    linked = round(report["overall"]["link_rate"] * report["overall"]["records"]) - sum(
        round(r["link_rate"] * r["records"]) for r in shown
    )
    return {hidden[0]["value"]: (records, linked)}


def test_a_subgroup_of_three_people_shows_neither_its_count_nor_its_rate() -> None:
    records = _region({"F": (300, 40), "M": (280, 37), "X": (2, 1)})
    report = _report(records)
    sex = {r["value"]: r for r in report["subgroups"] if r["dimension"] == "sex"}
    assert sex["other"]["suppressed"]  # the three people with sex X
    assert sex["other"]["records"] is None
    assert sex["other"]["link_rate"] is None
    assert sex["other"]["linked"] is None and sex["other"]["unlinked"] is None
    assert sex["other"]["flag"] is None
    # ... nor by subtraction: a second row is hidden, so overall - shown is two rows' sum.
    assert sum(r["suppressed"] for r in sex.values()) >= 2
    assert _recoverable(report, "sex") == {}
    shown = [r["records"] for r in report["subgroups"] if r["records"] is not None]
    assert 3 not in shown


def test_a_large_subgroup_with_few_unlinked_records_is_hidden_too() -> None:
    """Three unlinked women are as small a cell as three women."""
    records = _region({"F": (300, 3), "M": (280, 37), "U": (50, 20)})
    sex = {r["value"]: r for r in _report(records)["subgroups"] if r["dimension"] == "sex"}
    assert sex["F"]["records"] is None and sex["F"]["link_rate"] is None
    assert sum(r["suppressed"] for r in sex.values()) >= 2


def test_large_subgroups_are_shown_in_full() -> None:
    records = _region({"F": (300, 40), "M": (280, 37)})
    sex = {r["value"]: r for r in _report(records)["subgroups"] if r["dimension"] == "sex"}
    assert sex["F"]["records"] == 340 and sex["F"]["link_rate"] == 300 / 340
    assert not sex["F"]["suppressed"] and not sex["M"]["suppressed"]


def test_a_higher_deployment_threshold_hides_more_and_never_less() -> None:
    records = _region({"F": (300, 40), "M": (280, 37), "U": (30, 15)})
    report = _report(records)
    assert not any(r["suppressed"] for r in report["subgroups"] if r["dimension"] == "sex")
    stricter = {r["value"]: r for r in subgroups_at(report, 20) if r["dimension"] == "sex"}
    assert stricter["U"]["records"] is None  # 15 unlinked < 20
    assert _recoverable({**report, "subgroups": list(stricter.values())}, "sex") == {}
    assert subgroups_at(report, 5) is report["subgroups"]


def test_a_report_written_before_suppression_is_suppressed_when_shown() -> None:
    """Older reports stored rows without counts; the page works them out and hides."""
    records = _region({"F": (300, 40), "M": (280, 37), "X": (2, 1)})
    old = _subgroups(records)
    for row in old:
        del row["linked"], row["unlinked"]
    linked = int(records["linked_elsewhere"].sum())
    report = {
        "overall": {"records": len(records), "link_rate": linked / len(records)},
        "subgroups": old,
    }
    shown = at_threshold(report, 10)
    sex = {r["value"]: r for r in shown["subgroups"] if r["dimension"] == "sex"}
    assert sex["other"]["records"] is None and sex["other"]["link_rate"] is None
    assert sum(r["suppressed"] for r in sex.values()) >= 2


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["F", "M", "U", "X", "Z"]),
        st.tuples(st.integers(0, 40), st.integers(0, 40)),
        min_size=1,
    ).filter(lambda d: sum(a + b for a, b in d.values()) > 0),
    st.integers(2, 15),
)
@example({"F": (1, 0)}, 10)
@example({"F": (30, 30), "X": (0, 3)}, 10)
def test_no_shown_row_is_small_and_no_hidden_row_is_alone(
    sexes: dict[str, tuple[int, int]], threshold: int
) -> None:
    report = _report(_region(sexes), threshold)
    for dimension in DIMENSIONS:
        rows = [r for r in report["subgroups"] if r["dimension"] == dimension]
        for row in rows:
            if row["records"] is not None:
                assert not 0 < row["linked"] < threshold
                assert not 0 < row["unlinked"] < threshold
            else:
                assert row["link_rate"] is None and row["link_rate_gap"] is None
        # A single hidden row could be recovered by subtraction: it has a companion.
        # (A dimension of one value is the overall figure, which the report shows.)
        if len(rows) > 1:
            assert len([r for r in rows if r["records"] is None]) != 1
            assert _recoverable(report, dimension) == {}
