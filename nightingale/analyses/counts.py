"""Count outcomes over follow-up with time at risk: Poisson and negative binomial, GLM and GEE.

People are followed for different lengths of time (death, moving away, the end of the
data), so counts are modelled as rates: ``log E[count] = log(time at risk) + X b``. The
treatment coefficient, exponentiated, is a rate ratio. Repeated periods of one person
are correlated, so standard errors are cluster-robust by person (GLM) or come from a GEE
with an exchangeable working correlation (robust by construction).

Negative binomial (NB2) allows over-dispersion beyond Poisson; with robust standard
errors both give valid intervals for the rate ratio, and NB is more efficient when
counts are over-dispersed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from nightingale.analyses._design import require_binary, require_complete, rhs
from nightingale.analyses._models import (
    ClusterCorrection,
    coefficient,
    fit_glm,
    interval,
    log_exposure,
    negative_binomial_alpha,
)
from nightingale.analyses.results import AnalysisResult, estimate_row

CountFamily = Literal["poisson", "negative_binomial"]


def _summary(outcome: str, method: str, rr: float, low: float, high: float) -> str:
    change = "lower" if rr < 1 else "higher"
    return (
        f"{outcome}: the rate in the treated group was {abs(1 - rr):.0%} {change} than in the "
        f"comparison group (rate ratio {rr:.2f}, 95% CI {low:.2f} to {high:.2f}; {method})."
    )


def rate_ratio(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    exposure: str,
    covariates: Sequence[str] = (),
    *,
    family: CountFamily = "poisson",
    cluster: str | None = None,
    weights: str | None = None,
    correction: ClusterCorrection = "CR1",
) -> AnalysisResult:
    """Rate ratio of ``outcome`` for ``treatment`` from a GLM with a log time-at-risk offset.

    ``cluster`` names the person column for cluster-robust standard errors over repeated
    periods (``correction``: ``CR1`` sandwich or ``CR3`` jackknife); ``weights`` names a
    column of matching or IPW weights.
    """
    require_complete(frame, [outcome, treatment, *covariates], f"rate ratio of {outcome}")
    require_binary(frame, treatment, f"rate ratio of {outcome}")
    formula = f"{outcome} ~ {rhs(frame, [treatment, *covariates])}"
    fitted, details = fit_glm(
        formula, frame, family, exposure=exposure, weights=weights, cluster=cluster,
        correction=correction,
    )  # fmt: skip
    est, se = coefficient(fitted, treatment)
    rr, low, high = interval(est, se, log_scale=True)
    row = estimate_row(f"{outcome} rate ratio", rr, se, low, high, log_estimate=est, n=len(frame))
    method = f"{family.replace('_', ' ')} GLM, {details['standard_errors']}"
    return AnalysisResult(
        name=f"{outcome}_rate_ratio",
        summary=_summary(outcome, method, rr, low, high),
        tables={"estimates": pd.DataFrame([row])},
        models={"model": details},
    )


def rate_ratio_gee(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    exposure: str,
    group: str,
    covariates: Sequence[str] = (),
    *,
    family: CountFamily = "poisson",
    weights: str | None = None,
) -> AnalysisResult:
    """Rate ratio from a GEE (exchangeable working correlation within ``group``).

    Weights, if given, must be constant within a group (statsmodels treats them as
    probability weights per cluster), as matching and IPW weights per person are.
    """
    what = f"GEE rate ratio of {outcome}"
    require_complete(frame, [outcome, treatment, group, exposure, *covariates], what)
    require_binary(frame, treatment, what)
    formula = f"{outcome} ~ {rhs(frame, [treatment, *covariates])}"
    ordered = frame.sort_values([group], kind="stable")
    offset = log_exposure(ordered, exposure)
    if family == "poisson":
        fam: sm.families.Family = sm.families.Poisson()
        alpha = None
    else:
        alpha = negative_binomial_alpha(formula, ordered, offset)
        fam = sm.families.NegativeBinomial(alpha=alpha)
    model = smf.gee(
        formula,
        groups=pd.factorize(ordered[group])[0],
        data=ordered,
        family=fam,
        cov_struct=sm.cov_struct.Exchangeable(),
        offset=offset,
        weights=ordered[weights].to_numpy(dtype=float) if weights else None,
    )
    fitted = model.fit()
    est, se = coefficient(fitted, treatment)
    rr, low, high = interval(est, se, log_scale=True)
    row = estimate_row(f"{outcome} rate ratio", rr, se, low, high, log_estimate=est, n=len(frame))
    details = {
        "formula": formula,
        "family": family,
        "alpha": alpha,
        "working_correlation": "exchangeable",
        "correlation": float(fitted.model.cov_struct.dep_params),
        "offset": f"log({exposure})",
        "groups": int(ordered[group].nunique()),
        "n": len(frame),
        "coefficients": {
            str(k): {"estimate": float(fitted.params[k]), "std_error": float(fitted.bse[k])}
            for k in fitted.params.index
        },
    }
    method = f"{family.replace('_', ' ')} GEE, exchangeable, robust SE"
    return AnalysisResult(
        name=f"{outcome}_rate_ratio_gee",
        summary=_summary(outcome, method, rr, low, high),
        tables={"estimates": pd.DataFrame([row])},
        models={"model": details},
    )
