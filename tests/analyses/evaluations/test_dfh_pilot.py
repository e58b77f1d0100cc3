"""The pilot's evaluation: right answers on a simulated release, a reproducible bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH, evaluate, latest_release
from nightingale.analyses.plan import load_plan
from nightingale.platform.errors import NightingaleError
from tests.analyses.pilot_release import pilot_release


@pytest.fixture(scope="module")
def main_table():  # type: ignore[no-untyped-def]
    persons, panel, truth = pilot_release(2000, seed=71)
    result = evaluate(persons, panel, load_plan(PLAN_PATH), detail=False)
    return result.tables["main_estimates"].set_index(["outcome", "analysis"]), truth


@pytest.mark.parametrize(
    "outcome", ["emergency_admissions", "ae_attendances", "gp_consultations", "eq5d"]
)
def test_primary_intervals_cover_the_true_effects(main_table, outcome: str) -> None:  # type: ignore[no-untyped-def]
    table, truth = main_table
    primary = table[table["primary"]].loc[outcome]
    assert list(primary.index) == [load_plan(PLAN_PATH).plan.comparison.primary]
    row = primary.iloc[0]
    assert row["ci_low"] < truth[outcome] < row["ci_high"]


def test_the_naive_comparison_is_visibly_biased(main_table) -> None:  # type: ignore[no-untyped-def]
    table, truth = main_table
    for outcome in ("emergency_admissions", "ae_attendances", "gp_consultations"):
        naive = table.loc[(outcome, "naive")]
        assert naive["ci_low"] > truth[outcome]  # sicker tenants got the homes
    assert table.loc[("eq5d", "naive"), "ci_high"] < truth["eq5d"]


def test_every_outcome_has_doubly_robust_matched_ipw_and_naive_rows(main_table) -> None:  # type: ignore[no-untyped-def]
    table, _truth = main_table
    outcomes = [o.name for o in load_plan(PLAN_PATH).plan.outcomes]
    for outcome in outcomes:
        for analysis in ("doubly_robust", "matched", "ipw", "naive"):
            assert (outcome, analysis) in table.index


def test_the_latest_release_is_the_one_created_last(tmp_path: Path) -> None:
    for name, created in (("r-b", "2026-01-02T00:00:00"), ("r-a", "2026-03-01T00:00:00")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text(json.dumps({"created_at": created}))
    (tmp_path / ".tmp-r-c").mkdir()
    assert latest_release(tmp_path).name == "r-a"
    with pytest.raises(NightingaleError, match="no release"):
        latest_release(tmp_path / "missing")
