"""The pilot's condition-specific outcomes: defined by codelists, recovered by the plan.

The synthetic region declares true effects on respiratory and falls admissions and on
mental-health GP contacts (``truth/effects.json``); the pilot's spec counts them with the
shipped codelists, and the plan analyses them as secondary count outcomes.
"""

from __future__ import annotations

import numpy as np
import pytest

from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH, evaluate
from nightingale.analyses.evaluations.synthetic_release import (
    CODED_OUTCOMES,
    coded_events,
    one_region,
)
from nightingale.analyses.plan import load_plan
from nightingale.synth.config import CONDITIONS, SynthConfig
from nightingale.synth.geography import build_geography
from nightingale.synth.truth import CONDITION_OUTCOMES
from nightingale.synth.world import simulate


def test_the_codelists_count_exactly_the_events_the_truth_attributes_to_the_condition() -> None:
    config = SynthConfig(people=3_000, seed=5, chunk_size=3_000)
    geography_seed, chunk_seed = np.random.SeedSequence(5).spawn(2)
    geography = build_geography(config.lsoa_count, np.random.default_rng(geography_seed))
    world = simulate(config, geography, 0, 3_000, np.random.default_rng(chunk_seed))
    for name, outcome in CODED_OUTCOMES.items():
        _all_cause, condition, _parameter, _definition = CONDITION_OUTCOMES[name]
        events = world.events[outcome.kind]
        cause = np.asarray(events.columns["condition"], dtype=np.int64)
        expected = np.flatnonzero(cause == CONDITIONS.index(condition))
        coded = coded_events(world, outcome)
        assert len(expected) > 0, name
        assert len(coded.person) == len(expected), name
        assert sorted(zip(coded.person, coded.day, strict=True)) == sorted(
            zip(events.person[expected], events.day[expected], strict=True)
        ), name


def test_the_plan_analyses_them_as_secondary_count_outcomes() -> None:
    outcomes = {o.name: o for o in load_plan(PLAN_PATH).plan.outcomes}
    for name in CODED_OUTCOMES:
        assert outcomes[name].kind == "count"
        assert outcomes[name].main  # in the main table, so the validity benchmark measures it


@pytest.fixture(scope="module")
def estimates():  # type: ignore[no-untyped-def]
    persons, panel, effects = one_region(seed=1, people=50_000)
    table = evaluate(persons, panel, load_plan(PLAN_PATH), detail=False).tables["main_estimates"]
    return table[table["primary"]].set_index("outcome"), effects


@pytest.mark.parametrize("name", list(CODED_OUTCOMES))
def test_the_evaluation_recovers_the_condition_specific_effect(estimates, name) -> None:  # type: ignore[no-untyped-def]
    table, effects = estimates
    truth = effects[name]["realised_att"]
    row = table.loc[name]
    assert row["scale"] == "rate_ratio"
    assert row["ci_low"] <= truth <= row["ci_high"]
    # Respiratory and falls admissions are rare (30-60 events here, so wide intervals);
    # mental-health contacts are common enough to ask for a close estimate (~2,700).
    if name == "mental_health_contacts":
        assert abs(np.log(row["estimate"]) - np.log(truth)) < 0.05
        assert row["ci_high"] < 1
