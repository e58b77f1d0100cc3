"""The canonical order: built from content, blind to ids and row order; seeds from the plan."""

from __future__ import annotations

import pandas as pd
import pytest

from nightingale.analyses.canonical import canonical_release, content_ranks, derive_seed
from nightingale.platform.errors import NightingaleError

PERSONS = pd.DataFrame(
    {"pid": ["zz", "aa", "mm"], "treated": [1, 0, 0], "age_band": ["25-34", "45-54", "25-34"]}
)
PANEL = pd.DataFrame(
    {
        "pid": ["aa", "zz", "zz", "mm", "mm"],
        "period": [0, 1, 0, 1, 0],
        "visits": [3, 1, 2, 0, 4],
    }
)


def test_renamed_people_in_another_order_get_the_same_canonical_frames() -> None:
    rename = {"zz": "q1", "aa": "k9", "mm": "b0"}
    other_persons = PERSONS.iloc[[2, 0, 1]].assign(pid=lambda f: f["pid"].map(rename))
    other_panel = PANEL.iloc[[4, 2, 0, 3, 1]].assign(pid=lambda f: f["pid"].map(rename))
    first = canonical_release(PERSONS, PANEL)
    second = canonical_release(other_persons, other_panel)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])


def test_canonical_frames_keep_each_persons_rows_together_in_period_order() -> None:
    persons, panel = canonical_release(PERSONS, PANEL)
    assert list(persons["pid"]) == sorted(persons["pid"])
    assert list(panel.columns) == list(PANEL.columns)
    by_person = panel.groupby("pid", sort=False)["period"].apply(list)
    assert all(periods == sorted(periods) for periods in by_person)
    # The person who was "zz" keeps their own follow-up under the new label.
    zz = persons.loc[persons["treated"] == 1, "pid"].item()
    assert panel.loc[panel["pid"] == zz, "visits"].tolist() == [2, 1]


def test_identical_baselines_are_ordered_by_their_follow_up() -> None:
    persons = pd.DataFrame({"pid": ["a", "b"], "treated": [0, 0]})
    panel = pd.DataFrame({"pid": ["a", "b"], "period": [0, 0], "visits": [1, 7]})
    swapped = panel.assign(pid=panel["pid"].map({"a": "b", "b": "a"}))
    assert content_ranks(persons, panel)["a"] == content_ranks(persons, swapped)["b"]
    assert sorted(content_ranks(persons, panel)) == [0, 1]


def test_a_release_without_unique_pids_is_refused() -> None:
    with pytest.raises(NightingaleError, match="pid is not unique"):
        content_ranks(pd.concat([PERSONS, PERSONS]), PANEL)


def test_seeds_come_from_the_plan_and_the_purpose_only() -> None:
    assert derive_seed("plan-sha", "matching") == derive_seed("plan-sha", "matching")
    assert derive_seed("plan-sha", "matching") != derive_seed("plan-sha", "imputation")
    assert derive_seed("plan-sha", "matching") != derive_seed("other-plan", "matching")
    assert 0 <= derive_seed("plan-sha", "matching") < 2**63
