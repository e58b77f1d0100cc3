"""Fitting helpers shared by the regression methods (GLM with offsets, clusters, weights).

Kept private: the public methods take column names and return tidy results; this is the
one place that turns those names into statsmodels calls, so every method treats offsets,
weights and cluster-robust standard errors the same way.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from nightingale.analyses._design import require_complete
from nightingale.platform.errors import NightingaleError

Family = Literal["gaussian", "poisson", "negative_binomial"]
Z95 = float(stats.norm.ppf(0.975))


def log_exposure(frame: pd.DataFrame, exposure: str) -> np.ndarray:
    """The log time-at-risk offset; zero or negative time at risk is an error."""
    values = frame[exposure].to_numpy(dtype=float)
    if (values <= 0).any():
        raise NightingaleError(f"{exposure}: time at risk must be positive (drop empty periods)")
    return np.asarray(np.log(values), dtype=float)


def negative_binomial_alpha(formula: str, frame: pd.DataFrame, offset: np.ndarray | None) -> float:
    """The NB2 dispersion estimated by maximum likelihood (statsmodels' discrete model)."""
    model = smf.negativebinomial(formula, data=frame, offset=offset)
    fitted = model.fit(disp=0, maxiter=200)
    return float(fitted.params["alpha"])


def fit_glm(
    formula: str,
    frame: pd.DataFrame,
    family: Family,
    *,
    exposure: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Fit a GLM; cluster-robust (sandwich) standard errors when ``cluster`` is given.

    Returns the fitted statsmodels result and a JSON-able description of the model.
    """
    needed = [c for c in (exposure, weights, cluster) if c]
    require_complete(frame, needed, f"model {formula}")
    offset = log_exposure(frame, exposure) if exposure else None
    details: dict[str, Any] = {"formula": formula, "family": family, "n": len(frame)}
    if family == "gaussian":
        fam: sm.families.Family = sm.families.Gaussian()
    elif family == "poisson":
        fam = sm.families.Poisson()
    elif family == "negative_binomial":
        alpha = negative_binomial_alpha(formula, frame, offset)
        details["alpha"] = alpha
        fam = sm.families.NegativeBinomial(alpha=alpha)
    else:
        raise NightingaleError(f"unknown family {family!r}")
    var_weights = frame[weights].to_numpy(dtype=float) if weights else None
    model = smf.glm(formula, data=frame, family=fam, offset=offset, var_weights=var_weights)
    if cluster:
        groups = pd.factorize(frame[cluster])[0]
        fitted = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        details["standard_errors"] = f"cluster-robust by {cluster}"
        details["clusters"] = int(groups.max() + 1)
    else:
        fitted = model.fit()
        details["standard_errors"] = "model-based"
    if exposure:
        details["offset"] = f"log({exposure})"
    if weights:
        details["weights"] = weights
    details["coefficients"] = _coefficients(fitted)
    return fitted, details


def _coefficients(fitted: Any) -> dict[str, dict[str, float]]:
    return {
        str(name): {"estimate": float(fitted.params[name]), "std_error": float(fitted.bse[name])}
        for name in fitted.params.index
    }


def coefficient(fitted: Any, term: str) -> tuple[float, float]:
    """(estimate, standard error) of one term, with a clear error if it is absent."""
    if term not in fitted.params.index:
        raise NightingaleError(f"model has no term {term!r} (terms: {list(fitted.params.index)})")
    return float(fitted.params[term]), float(fitted.bse[term])


def interval(estimate: float, std_error: float, log_scale: bool) -> tuple[float, float, float]:
    """Point estimate and 95% interval, exponentiated for log-scale effects."""
    low, high = estimate - Z95 * std_error, estimate + Z95 * std_error
    if log_scale:
        return float(np.exp(estimate)), float(np.exp(low)), float(np.exp(high))
    return estimate, low, high


def effect_scale(family: Family) -> str:
    """What the treatment coefficient means on the natural scale."""
    return "difference" if family == "gaussian" else "rate ratio"
