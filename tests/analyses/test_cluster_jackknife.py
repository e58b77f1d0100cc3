"""CR3: the cluster jackknife equals refitting without each cluster in turn.

The known answer is the brute-force jackknife: drop one cluster, refit, collect the
coefficient moves, (G-1)/G times their centred sum of squares. For a weighted linear
model the leverage formula is exact; for Poisson it is the one-step approximation, close
to the refits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.analyses._models import cluster_jackknife_covariance, fit_glm
from nightingale.analyses.counts import rate_ratio
from nightingale.analyses.linear import mean_difference


def _clustered(seed: int, clusters: int = 25) -> pd.DataFrame:
    """Persons with 1-4 rows each, a person effect, and uneven weights."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 5, clusters)
    person = np.repeat(np.arange(clusters), size)
    n = len(person)
    treated = rng.integers(0, 2, clusters)[person]
    x = rng.normal(0, 1, n)
    shared = rng.normal(0, 0.5, clusters)[person]
    days = rng.integers(30, 365, n).astype(float)
    return pd.DataFrame(
        {
            "pid": person,
            "treated": treated,
            "x": x,
            "w": rng.gamma(1.0, 1.0, clusters)[person] + 0.1,
            "y": 1 + 0.3 * treated + 0.5 * x + shared + rng.normal(0, 1, n),
            "days": days,
            "count": rng.poisson(days / 100 * np.exp(0.2 * x - 0.2 * treated + shared)),
        }
    )


def _refit_jackknife(frame: pd.DataFrame, family: sm.families.Family, offset: bool) -> np.ndarray:
    params = []
    for g in np.unique(frame["pid"]):
        part = frame[frame["pid"] != g]
        fitted = smf.glm(
            ("count" if offset else "y") + " ~ treated + x",
            data=part,
            family=family,
            offset=np.log(part["days"]) if offset else None,
            var_weights=part["w"],
        ).fit()
        params.append(fitted.params.to_numpy())
    moves = np.asarray(params)
    moves -= moves.mean(axis=0)
    g = len(moves)
    return np.asarray((g - 1) / g * moves.T @ moves)


@settings(max_examples=5, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_weighted_linear_cr3_is_the_exact_cluster_jackknife(seed: int) -> None:
    frame = _clustered(seed)
    fitted, _ = fit_glm("y ~ treated + x", frame, "gaussian", weights="w", cluster="pid")
    ours = cluster_jackknife_covariance(fitted.raw, pd.factorize(frame["pid"])[0])
    np.testing.assert_allclose(ours, _refit_jackknife(frame, sm.families.Gaussian(), False),
                               rtol=1e-6, atol=1e-12)  # fmt: skip


def test_poisson_cr3_is_close_to_refitting() -> None:
    frame = _clustered(3, clusters=40)
    fitted, _ = fit_glm(
        "count ~ treated + x", frame, "poisson", exposure="days", weights="w", cluster="pid"
    )
    ours = np.sqrt(np.diag(cluster_jackknife_covariance(fitted.raw, frame["pid"].to_numpy())))
    exact = np.sqrt(np.diag(_refit_jackknife(frame, sm.families.Poisson(), True)))
    np.testing.assert_allclose(ours, exact, rtol=0.1)


def test_cr3_is_larger_than_cr1_and_is_reported() -> None:
    frame = _clustered(11, clusters=30)
    cr1 = mean_difference(frame, "y", "treated", ["x"], weights="w", cluster="pid")
    cr3 = mean_difference(
        frame, "y", "treated", ["x"], weights="w", cluster="pid", correction="CR3"
    )
    one, three = cr1.tables["estimates"].iloc[0], cr3.tables["estimates"].iloc[0]
    assert three["estimate"] == one["estimate"]
    assert three["std_error"] > one["std_error"]
    assert "CR3" in cr3.models["model"]["standard_errors"]
    counts = rate_ratio(frame, "count", "treated", "days", ["x"], cluster="pid", correction="CR3")
    assert "CR3" in counts.models["model"]["standard_errors"]
