"""Causes per event: each person's mix, the pilot's ratio per cause, and the all-cause
ratio they keep; codes follow the cause."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from nightingale.synth.conditions import (
    admission_codes,
    age_band,
    cause_mix,
    cause_ratios,
)
from nightingale.synth.config import CONDITIONS, EffectParams, SynthConfig
from nightingale.synth.events import Events, apply_cause_rate_ratios
from nightingale.synth.health import condition_of

CONFIG = SynthConfig()
RESPIRATORY, FALLS, OTHER = (CONDITIONS.index(c) for c in ("respiratory", "falls", "other"))


def test_age_bands_are_0_15_16_64_and_65_plus() -> None:
    assert list(age_band(np.array([0, 15, 16, 64, 65, 99]))) == [0, 0, 1, 1, 2, 2]


def test_a_cold_home_adds_respiratory_events_and_nothing_else() -> None:
    band = np.array([1, 1])
    shares, extra = cause_mix(CONFIG, "emergency", band, np.array([False, True]))
    assert shares.sum(axis=1) == pytest.approx([1, 1])
    assert extra[0] == 1 and extra[1] > 1
    rates = shares * extra[:, None]  # cause-specific rates, per unit of the base rate
    assert rates[1, RESPIRATORY] == pytest.approx(
        rates[0, RESPIRATORY] * CONFIG.conditions.damp_respiratory_rate_ratio
    )
    others = np.arange(len(CONDITIONS)) != RESPIRATORY
    assert rates[1, others] == pytest.approx(rates[0, others])


@pytest.mark.parametrize("service", ["emergency", "gp"])
def test_every_persons_all_cause_ratio_is_the_all_cause_parameter(service: str) -> None:
    band = np.repeat([0, 1, 2], 2)
    cold = np.tile([False, True], 3)
    shares, _ = cause_mix(CONFIG, service, band, cold)
    ratios = cause_ratios(CONFIG, service, shares)
    all_cause = {
        "emergency": CONFIG.effects.emergency_admissions_rate_ratio,
        "gp": CONFIG.effects.gp_consultations_rate_ratio,
    }[service]
    assert (shares * ratios).sum(axis=1) == pytest.approx(np.full(6, all_cause))
    if service == "emergency":
        assert ratios[:, RESPIRATORY] == pytest.approx(
            CONFIG.effects.respiratory_admissions_rate_ratio
        )
        assert ratios[:, FALLS] == pytest.approx(CONFIG.effects.falls_admissions_rate_ratio)
    assert (ratios[:, OTHER] > 0).all()


def test_ratios_that_leave_no_room_for_the_all_cause_one_are_refused() -> None:
    with pytest.raises(ValidationError, match="no room for the all-cause ratio"):
        SynthConfig(
            effects=EffectParams(
                emergency_admissions_rate_ratio=0.3,
                respiratory_admissions_rate_ratio=2.0,
                falls_admissions_rate_ratio=2.0,
            )
        )
    with pytest.raises(ValidationError, match="leave some"):
        SynthConfig.model_validate(
            {"conditions": {"emergency": {"respiratory": [0.6, 0.6, 0.6], "falls": [0.5] * 3}}}
        )


def test_a_ratio_above_one_adds_events_of_that_cause_only() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    shares = np.tile([0.5, 0.0, 0.0, 0.0, 0.5], (n, 1))
    ratios = np.tile([2.0, 1.0, 1.0, 1.0, 1.0], (n, 1))
    none = Events(np.zeros(0, np.int64), np.zeros(0, np.int64), {"condition": np.zeros(0, int)})
    treated = np.ones(n, dtype=bool)

    def content(person: np.ndarray, cause: np.ndarray, _: np.random.Generator) -> dict:
        return {"condition": cause}

    added = apply_cause_rate_ratios(
        none, np.full(n, 1.0), shares, ratios, treated, np.zeros(n, np.int64),
        np.full(n, 365, np.int64), content, rng,
    )  # fmt: skip
    # Extra respiratory events at rate 1 * 0.5 * (2 - 1) a year for 2,000 people.
    assert set(added.columns["condition"]) == {0}
    assert len(added) == pytest.approx(1_000, rel=0.1)


def test_the_codes_define_the_cause_they_were_drawn_for() -> None:
    rng = np.random.default_rng(5)
    cause = np.repeat(np.arange(len(CONDITIONS)), 400)
    codes = admission_codes(cause, True, rng.integers(0, 4, len(cause)), 0.2, rng)
    assert (condition_of(codes["diag_primary"], codes["diag_secondary"]) == cause).all()
