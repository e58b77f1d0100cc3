"""The trial-based pipeline: Ben et al. (2023)'s simulated trial to its published figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.analyses.economics.bootstrap import bootstrap_increments, stratified_counts
from nightingale.analyses.economics.qalys import auc_qalys
from nightingale.analyses.economics.sur import Equation, fit_sur
from nightingale.analyses.economics.within_study import TrialSpec, analyse_trial

BEN_SPEC = TrialSpec(
    treatment="Tr",
    cost_covariates=("C", "age", "sex"),
    effect_covariates=("E", "age", "sex"),
    replicates=1_000,
    seed=2023,
)


def with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """12-month cost (sum of the four 3-monthly costs) and QALYs (AUC of five EQ-5D visits)."""
    out = frame.copy()
    out["cost"] = out[["Cm1", "Cm2", "Cm3", "Cm4"]].sum(axis=1, min_count=4)
    out["qaly"] = auc_qalys(out[["E", "Em1", "Em2", "Em3", "Em4"]], [0, 0.25, 0.5, 0.75, 1.0])
    return out


@pytest.fixture(scope="module")
def complete_cases(ben2023: pd.DataFrame) -> pd.DataFrame:
    return with_totals(ben2023.dropna())


def test_ben2023_complete_case_sur_matches_the_published_increments(
    complete_cases: pd.DataFrame,
) -> None:
    assert len(complete_cases) == 170
    result = analyse_trial(complete_cases, BEN_SPEC)
    assert round(result.delta_cost, 2) == 1267.58
    assert round(result.delta_effect, 6) == 0.066019
    assert result.comparison.icer is not None
    assert round(result.comparison.icer, -2) == 19_200


def test_ben2023_bootstrap_gives_a_ceac_that_rises_with_the_threshold(
    complete_cases: pd.DataFrame,
) -> None:
    result = analyse_trial(complete_cases, BEN_SPEC)
    ceac = result.ceac()["probability_cost_effective"].to_numpy()
    assert ceac[0] < 0.05  # at 0/QALY only cost matters, and it is clearly higher
    assert np.all(np.diff(ceac) >= -0.02)  # rises (up to bootstrap noise)
    nb = result.net_benefit().set_index("threshold")
    assert list(nb.index) == [20_000, 30_000, 25_000, 35_000]
    assert nb.loc[30_000, "inmb"] == pytest.approx(30_000 * 0.066019 - 1267.58, abs=0.05)
    low, high = result.bootstrap.interval(result.bootstrap.delta_cost)
    assert low < result.delta_cost < high


def test_auc_qalys_is_the_trapezoid_area() -> None:
    # Utility 0.5 then 1.0 over one year: area 0.75; a death (0) halfway halves the area.
    assert auc_qalys([[0.5, 1.0]], [0, 1])[0] == pytest.approx(0.75)
    assert auc_qalys([[1.0, 0.0, 0.0]], [0, 0.5, 1.0])[0] == pytest.approx(0.25)
    discounted = auc_qalys([[1.0, 1.0, 1.0]], [0, 1, 2], discount_rate=0.035)[0]
    assert 1 / 1.035 < discounted / 2 < 1.0


def test_sur_with_the_same_regressors_in_both_equations_equals_ols(
    complete_cases: pd.DataFrame,
) -> None:
    regressors = ("Tr", "age", "sex")
    sur = fit_sur(complete_cases, [Equation("cost", regressors), Equation("qaly", regressors)])
    x = sm.add_constant(complete_cases[list(regressors)])
    for k, outcome in enumerate(("cost", "qaly")):
        ols = sm.OLS(complete_cases[outcome], x).fit()
        assert sur.coefficient(k, "Tr") == pytest.approx(ols.params["Tr"], rel=1e-9)


def test_vectorised_bootstrap_equals_refitting_each_resample(
    complete_cases: pd.DataFrame,
) -> None:
    frame = complete_cases.sort_values("Tr", kind="stable").reset_index(drop=True)
    boot = bootstrap_increments(
        frame, treatment="Tr", cost="cost", effect="qaly",
        cost_covariates=("C",), effect_covariates=("E",), replicates=3, seed=5,
    )  # fmt: skip
    sizes = frame["Tr"].value_counts().sort_index().tolist()
    counts = next(stratified_counts(sizes, 3, np.random.default_rng(5)))
    for r in range(3):
        resample = frame.loc[frame.index.repeat(counts[r].astype(int))]
        refit = fit_sur(resample, [Equation("cost", ("Tr", "C")), Equation("qaly", ("Tr", "E"))])
        assert boot.delta_cost[r] == pytest.approx(refit.coefficient(0, "Tr"), rel=1e-8)
        assert boot.delta_effect[r] == pytest.approx(refit.coefficient(1, "Tr"), rel=1e-8)


def test_bootstrap_is_paired_stratified_and_reproducible(complete_cases: pd.DataFrame) -> None:
    sizes = [30, 20]
    counts = next(stratified_counts(sizes, 10, np.random.default_rng(1)))
    np.testing.assert_array_equal(counts[:, :30].sum(axis=1), 30)  # each arm keeps its size
    np.testing.assert_array_equal(counts[:, 30:].sum(axis=1), 20)
    kwargs = {"treatment": "Tr", "cost": "cost", "effect": "qaly", "replicates": 200}
    first = bootstrap_increments(complete_cases, seed=11, **kwargs)  # type: ignore[arg-type]
    again = bootstrap_increments(complete_cases, seed=11, **kwargs)  # type: ignore[arg-type]
    np.testing.assert_array_equal(first.delta_cost, again.delta_cost)
    arms = complete_cases.groupby("Tr")[["cost", "qaly"]].mean()
    assert first.delta_cost.mean() == pytest.approx(
        arms.loc[1, "cost"] - arms.loc[0, "cost"], rel=0.05
    )


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_icer_does_not_depend_on_the_order_of_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame(
        {"treated": np.repeat([0, 1], n // 2), "u0": rng.uniform(0.3, 1.0, n)}
    ).assign(
        cost=lambda f: 500 + 300 * f["treated"] + rng.gamma(2.0, 200.0, n),
        qaly=lambda f: 0.5 * f["u0"] + 0.05 * f["treated"] + rng.normal(0, 0.05, n),
    )
    spec = TrialSpec(effect_covariates=("u0",), replicates=10, seed=1)
    shuffled = frame.sample(frac=1.0, random_state=np.random.default_rng(seed + 1))
    a, b = analyse_trial(frame, spec), analyse_trial(shuffled, spec)
    assert a.delta_cost == pytest.approx(b.delta_cost, rel=1e-9)
    assert a.delta_effect == pytest.approx(b.delta_effect, rel=1e-9, abs=1e-12)
    for k in (20_000.0, 30_000.0):
        assert a.comparison.inmb(k) == pytest.approx(
            k * a.delta_effect - a.delta_cost, rel=1e-12, abs=1e-9
        )


def test_missing_values_are_refused_with_a_pointer_to_imputation(ben2023: pd.DataFrame) -> None:
    from nightingale.platform.errors import NightingaleError

    with pytest.raises(NightingaleError, match="imputation"):
        analyse_trial(with_totals(ben2023), BEN_SPEC)


def test_a_covariate_constant_in_a_resample_leaves_the_treatment_effect_identified(
    complete_cases: pd.DataFrame,
) -> None:
    # Small resamples can make a binary covariate constant; the increments must survive.
    frame = complete_cases.assign(everyone=1.0, nobody=0.0)
    with_constants = fit_sur(
        frame, [Equation("cost", ("Tr", "everyone")), Equation("qaly", ("Tr", "nobody"))]
    )
    plain = fit_sur(frame, [Equation("cost", ("Tr",)), Equation("qaly", ("Tr",))])
    assert with_constants.coefficient(0, "Tr") == pytest.approx(plain.coefficient(0, "Tr"))
    assert with_constants.coefficient(1, "Tr") == pytest.approx(plain.coefficient(1, "Tr"))
