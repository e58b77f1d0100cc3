"""Differences in means over follow-up: weighted linear regression, cluster-robust.

For outcomes measured as a share of days (days employed per day at risk) or an amount
per month, the effect is a difference in means. Weighting each period by its days at
risk makes the estimate a ratio of totals (all days employed over all days followed),
which is how such shares are reported; matching or IPW weights multiply in. Repeated
periods of a person are correlated, so standard errors are clustered by person.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from nightingale.analyses._design import require_binary, require_complete, rhs
from nightingale.analyses._models import ClusterCorrection, coefficient, fit_glm, interval
from nightingale.analyses.results import AnalysisResult, estimate_row


def mean_difference(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    *,
    weights: str | None = None,
    cluster: str | None = None,
    correction: ClusterCorrection = "CR1",
) -> AnalysisResult:
    """Difference in the (weighted) mean of ``outcome``, adjusted for ``covariates``.

    ``correction`` picks the cluster-robust variance (``CR3`` for strongly varying
    weights, see :func:`~nightingale.analyses._models.cluster_jackknife_covariance`).
    """
    what = f"mean difference of {outcome}"
    observed = frame.dropna(subset=[outcome])
    require_complete(observed, [treatment, *covariates], what)
    require_binary(observed, treatment, what)
    formula = f"{outcome} ~ {rhs(observed, [treatment, *covariates])}"
    fitted, details = fit_glm(
        formula, observed, "gaussian", weights=weights, cluster=cluster, correction=correction
    )
    est, se = coefficient(fitted, treatment)
    value, low, high = interval(est, se, log_scale=False)
    row = estimate_row(f"{outcome} difference", value, se, low, high, n=len(observed))
    return AnalysisResult(
        name=f"{outcome}_difference",
        summary=(
            f"{outcome}: difference treated minus comparison {value:+.4g} (95% CI {low:+.4g} "
            f"to {high:+.4g}; linear model, {details['standard_errors']})."
        ),
        tables={"estimates": pd.DataFrame([row])},
        models={"model": details},
    )
