"""The pilot's economic evaluation on a release-shaped frame: costs, QALYs, bundle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.economics.discounting import DiscountRates, period_discount_factor
from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot, write_bundle
from nightingale.analyses.economics.pilot import Perspective, PilotEconomics, person_level
from nightingale.platform.errors import NightingaleError

from .release_frames import pilot_release


@pytest.fixture(scope="module")
def release() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pilot_release()


def test_costs_are_unit_costs_times_use_discounted_per_period(release) -> None:  # type: ignore[no-untyped-def]
    persons, panel = release
    undiscounted = PilotEconomics(discount=DiscountRates(0.0, 0.0))
    people = person_level(persons, panel, undiscounted).set_index("pid")
    table = undiscounted.unit_costs
    pid = people.index[(people["cost_p0"].notna())][0]
    row = panel[(panel["pid"] == pid) & (panel["period"] == 0)].iloc[0]
    expected = (
        row["emergency_admissions"] * table.cost_of("emergency_admission")
        + row["ae_attendances"] * table.cost_of("ae_attendance")
        + row["gp_consultations"] * table.cost_of("gp_consultation")
    )
    assert people.loc[pid, "cost_p0"] == pytest.approx(expected)
    # Months 12-24 are discounted by the mean factor over that year, 1/(1+r)^t averaged.
    discounted = person_level(persons, panel, PilotEconomics()).set_index("pid")
    spender = people.index[people["cost_p2"] > 0][0]
    assert discounted.loc[spender, "cost_p2"] / people.loc[spender, "cost_p2"] == pytest.approx(
        float(period_discount_factor(1.0, 2.0, 0.035))
    )


def test_deaths_score_zero_utility_and_censoring_leaves_gaps(release) -> None:  # type: ignore[no-untyped-def]
    persons, panel = release
    people = person_level(persons, panel, PilotEconomics()).set_index("pid")
    early_death = persons[(persons["died"] == 1) & (persons["followup_days"] < 150)]["pid"]
    assert (people.loc[early_death, ["utility_p0", "utility_p1", "utility_p2"]] == 0).all().all()
    censored = persons[(persons["died"] == 0) & (persons["followup_days"] < 300)]["pid"]
    assert people.loc[censored, "utility_p2"].isna().all()
    assert people.loc[censored, "cost"].isna().all()


def test_intervention_cost_falls_on_the_treated_only(release) -> None:  # type: ignore[no-untyped-def]
    persons, panel = release
    people = person_level(persons, panel, PilotEconomics())
    assert (people.loc[people["treated"] == 0, "cost_intervention"] == 0).all()
    assert (people.loc[people["treated"] == 1, "cost_intervention"] > 0).all()


def test_public_sector_perspective_adds_benefits_and_subtracts_earnings(release) -> None:  # type: ignore[no-untyped-def]
    persons, panel = release
    nhs = person_level(persons, panel, PilotEconomics())
    public = person_level(
        persons, panel, PilotEconomics(perspective=Perspective.PUBLIC_SECTOR_PRODUCTIVITY)
    )
    np.testing.assert_allclose(
        public["cost"], nhs["cost"] + nhs["cost_benefits"] - nhs["productivity"]
    )
    assert (nhs["cost_benefits"] > 0).any()


def test_horizon_must_end_on_a_period_boundary() -> None:
    with pytest.raises(NightingaleError, match="period boundary"):
        PilotEconomics(horizon_months=18).periods()


def test_evaluation_bundle_has_the_tables_figures_and_cheers_items(
    release,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    persons, panel = release
    run = EconomicsRun(replicates=200, imputations=2, burn_in=1, skip=0, seed=3)
    result = evaluate_pilot(persons, panel, run=run)
    increments = result.tables["economics_increments"].set_index("quantity")
    assert increments.loc["incremental QALYs", "estimate"] > 0  # treated feel better
    scenarios = result.tables["economics_scenarios"]
    assert len(scenarios) == 4 and scenarios["analysis"].str.contains("imputation").sum() == 2
    by_name = scenarios.set_index("analysis")["delta_qalys"]
    # The perspective changes costs only. The same imputations are used, so the QALY
    # increments differ only through SUR's coupling of the two equations: slightly.
    mi_rows = by_name[by_name.index.str.contains("imputation")]
    assert mi_rows.iloc[0] == pytest.approx(mi_rows.iloc[1], rel=0.05)
    cheers = result.tables["economics_cheers"]
    assert list(cheers["item"]) == list(range(1, 29))
    assert set(cheers["status"]) <= {
        "reported",
        "not applicable",
        "to be completed by the evaluator",
    }
    assert "illustrative" in cheers.set_index("item").loc[14, "text"]
    written = write_bundle(result, tmp_path / "bundle", "release-1", "0" * 64)
    names = {p.name for p in written.rglob("*")}
    assert {"economics_ce_plane.png", "economics_ceac.png", "bundle.json"} <= names
    assert scenarios.iloc[0]["analysis"].startswith("primary: NHS and PSS, multiple imputation")
    # Without imputation the complete-case analysis becomes the primary one.
    complete = evaluate_pilot(persons, panel, run=replace(run, impute=False))
    cc = complete.tables["economics_increments"].set_index("quantity")
    row = scenarios.set_index("analysis").loc["sensitivity: complete cases"]
    assert row["delta_cost"] == pytest.approx(cc.loc["incremental cost", "estimate"])
    assert row["n"] < scenarios.iloc[0]["n"]
