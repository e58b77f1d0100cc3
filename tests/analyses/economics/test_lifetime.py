"""The pilot's lifetime model: the release's estimates carried into the cohort model."""

from __future__ import annotations

import numpy as np
import pytest

from nightingale.analyses.canonical import canonical_release
from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot
from nightingale.analyses.economics.lifetime import (
    EVPPI_GROUPS,
    lifetime_spec,
    pilot_inputs,
    run_lifetime,
)
from nightingale.analyses.economics.markov.spec import Parameter, with_estimated
from nightingale.analyses.economics.pilot import PilotEconomics, person_level
from nightingale.platform.errors import NightingaleError
from tests.analyses.economics.release_frames import pilot_release


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    persons, panel = canonical_release(*pilot_release(600, seed=4))
    config = PilotEconomics()
    return pilot_inputs(person_level(persons, panel, config), persons, panel, config)


def test_the_effects_come_from_the_release_with_their_uncertainty(inputs) -> None:  # type: ignore[no-untyped-def]
    # release_frames: the treated have fewer emergency admissions and better EQ-5D.
    assert inputs.estimated["rr_admission"].value < 1
    assert inputs.estimated["u_gain"].value > 0
    assert all(e.std_error > 0 for e in inputs.estimated.values())
    assert inputs.fixed["c_admission"] == PilotEconomics().unit_costs.cost_of("emergency_admission")
    spec, _folder = lifetime_spec(inputs)
    rr = spec.parameters["rr_admission"]
    assert rr.value == inputs.estimated["rr_admission"].value
    assert rr.distribution is not None and rr.distribution.type == "lognormal"
    assert spec.parameters["c_intervention"].distribution is None  # with_fixed
    assert spec.start_age == round(inputs.start_age, 1)
    assert spec.start_age + spec.cycles >= 100


def test_lifetime_results_have_psa_ceac_evpi_and_evppi(inputs) -> None:  # type: ignore[no-untyped-def]
    result = run_lifetime(inputs, samples=600, seed=11)
    assert list(result.base_case["strategy"]) == ["Comparison home", "Designed-for-health home"]
    assert result.delta_effect > 0  # fewer admissions and a utility gain, for life
    assert np.isclose(result.icer, result.delta_cost / result.delta_effect)
    assert set(result.evppi["group"]) == set(EVPPI_GROUPS)
    assert (result.evppi["evppi"] <= result.evppi["evpi"] + 1e-9).all()
    assert (result.evppi["evppi"] >= 0).all()
    assert result.ceac["probability_cost_effective"].between(0, 1).all()
    again = run_lifetime(inputs, samples=600, seed=11)
    assert again.evppi.equals(result.evppi)


def test_the_economics_bundle_shows_within_study_and_lifetime_side_by_side() -> None:
    persons, panel = pilot_release(400, seed=2)
    run = EconomicsRun(replicates=200, impute=False, lifetime_samples=400)
    result = evaluate_pilot(persons, panel, run=run)
    table = result.tables["economics_within_study_and_lifetime"].set_index("quantity")
    assert list(table.columns) == [
        "horizon_within_study", "horizon_lifetime", "within_study", "lifetime",
    ]  # fmt: skip
    assert table.loc["incremental QALYs", "lifetime"] == pytest.approx(
        result.tables["economics_lifetime_results"]["qalys"].diff().iloc[1]
    )
    for name in ("economics_lifetime_evppi", "economics_lifetime_ceac",
                 "economics_lifetime_parameters"):  # fmt: skip
        assert name in result.tables
    assert "economics_lifetime_ceac" in result.figures
    assert "Over a lifetime" in result.summary
    assert "lifetime" in result.models["economics_settings"]


def test_with_estimated_names_only_declared_parameters(inputs) -> None:  # type: ignore[no-untyped-def]
    spec, _folder = lifetime_spec(inputs)
    with pytest.raises(NightingaleError, match="no parameters"):
        with_estimated(spec, {"nonsense": Parameter(value=1.0)})


@pytest.mark.parametrize(
    ("delta_cost", "delta_effect", "words"),
    [
        (11_921.47, -0.1688, "the reference arm dominated"),
        (-500.0, 0.2, "the reference arm dominant"),
        (1_000.0, 0.05, "an ICER of 20,000 per QALY"),
    ],
)
def test_the_lifetime_sentence_gives_an_icer_only_where_it_means_something(
    delta_cost: float, delta_effect: float, words: str
) -> None:
    from nightingale.analyses.economics.evaluation import _ratio

    assert _ratio(delta_cost, delta_effect) == words
