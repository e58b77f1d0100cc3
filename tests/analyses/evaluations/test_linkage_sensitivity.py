"""The linkage sensitivity table: the primary estimate at each threshold, and its spread.

The cohorts a spine at another threshold gives are stood in for by the same pilot with
people dropped (missed links: their records fall out of the cohort) or with the outcomes
of some people changed (false links: someone else's events added).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.evaluations.dfh_pilot import evaluate
from nightingale.analyses.evaluations.linkage_sensitivity import (
    COLUMNS,
    add_linkage_sensitivity,
    sensitivity_table,
)
from nightingale.analyses.plan import parse_plan
from nightingale.platform.errors import NightingaleError
from tests.analyses.evaluations.test_bundle import SMALL_PLAN
from tests.analyses.keyed_release import fresh_keystore, keyed_release
from tests.analyses.pilot_release import pilot_release

Frames = tuple[pd.DataFrame, pd.DataFrame]


@pytest.fixture(scope="module")
def pilot() -> Frames:
    persons, panel, _truth = pilot_release(700, seed=23)
    return persons, panel


def _missed(frames: Frames, share: float, seed: int) -> Frames:
    """The cohort without ``share`` of its treated people (their links were missed)."""
    persons, panel = frames
    rng = np.random.default_rng(seed)
    treated = persons.loc[persons["treated"] == 1, "pid"].to_numpy()
    gone = set(rng.choice(treated, int(share * len(treated)), replace=False))
    return persons[~persons["pid"].isin(gone)], panel[~panel["pid"].isin(gone)]


def _false_links(frames: Frames, extra: int) -> Frames:
    """Every treated person gains ``extra`` emergency admissions in period 0."""
    persons, panel = frames
    treated = set(persons.loc[persons["treated"] == 1, "pid"])
    panel = panel.copy()
    hit = panel["pid"].isin(treated) & (panel["period"] == 0)
    panel.loc[hit, "emergency_admissions"] += extra
    return persons, panel


def test_one_row_per_outcome_and_threshold_with_the_chosen_one_marked(pilot: Frames) -> None:
    plan = parse_plan(SMALL_PLAN)
    variants = {-2.0: _false_links(pilot, 2), 0.0: pilot, 2.0: _missed(pilot, 0.3, 1)}
    table = sensitivity_table(variants, 0.0, plan)
    assert list(table.columns) == COLUMNS
    outcomes = [o.name for o in plan.plan.outcomes]
    assert list(table["outcome"]) == [o for o in outcomes for _ in range(3)]
    assert list(table["threshold"]) == [-2.0, 0.0, 2.0] * len(outcomes)
    chosen = table[table["chosen"]].set_index("outcome")
    main = evaluate(*pilot, plan, detail=False).tables["main_estimates"]
    primary = main[main["primary"]].set_index("outcome")
    assert chosen["estimate"].to_dict() == pytest.approx(primary["estimate"].to_dict())
    assert (chosen["shift"] == 0).all()
    admissions = table[table["outcome"] == "emergency_admissions"].set_index("threshold")
    assert admissions.loc[-2.0, "estimate"] > admissions.loc[0.0, "estimate"]  # false links
    assert admissions["spread"].iloc[0] == pytest.approx(
        admissions["estimate"].max() - admissions["estimate"].min()
    )


def test_the_table_changes_with_the_thresholds(pilot: Frames) -> None:
    plan = parse_plan(SMALL_PLAN)
    near = sensitivity_table({0.0: pilot, 1.0: _missed(pilot, 0.05, 2)}, 0.0, plan)
    far = sensitivity_table({0.0: pilot, 6.0: _missed(pilot, 0.4, 2)}, 0.0, plan)
    assert list(near["threshold"].unique()) == [0.0, 1.0]
    assert list(far["threshold"].unique()) == [0.0, 6.0]
    assert not near["estimate"].equals(far["estimate"])


def test_the_bundle_gets_the_table_the_range_beside_each_primary_and_a_summary(
    pilot: Frames,
) -> None:
    plan = parse_plan(SMALL_PLAN)
    result = evaluate(*pilot, plan, detail=False)
    table = sensitivity_table({0.0: pilot, 2.0: _missed(pilot, 0.3, 3)}, 0.0, plan)
    add_linkage_sensitivity(result, table)
    assert result.tables["linkage_sensitivity"] is table
    main = result.tables["main_estimates"]
    assert main.loc[main["primary"], "linkage_lowest"].notna().all()
    assert main.loc[~main["primary"], "linkage_highest"].isna().all()
    assert "Linkage sensitivity" in result.summary and "(this release: 0)" in result.summary


def test_the_release_threshold_must_be_among_the_variants(pilot: Frames) -> None:
    with pytest.raises(NightingaleError, match="not among"):
        sensitivity_table({1.0: pilot}, 0.0, parse_plan(SMALL_PLAN))


def test_the_table_does_not_depend_on_pseudonym_keys(pilot: Frames) -> None:
    plan = parse_plan(SMALL_PLAN)
    tables = []
    for _ in range(2):
        keystore = fresh_keystore()
        variants = {
            0.0: keyed_release(*pilot, keystore),
            2.0: keyed_release(*_missed(pilot, 0.3, 4), keystore),
        }
        tables.append(sensitivity_table(variants, 0.0, plan))
    pd.testing.assert_frame_equal(tables[0], tables[1])
