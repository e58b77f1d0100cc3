"""Propensity scores: the probability of treatment given baseline covariates.

A logistic model (statsmodels GLM, binomial family) of treatment on the baseline
covariates. Matching works on the logit of the score, where distances are closer to
symmetric and the conventional caliper (0.2 standard deviations of the logit; Austin,
2011) is defined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from nightingale.analyses._design import require_binary, require_complete, rhs


@dataclass(frozen=True)
class PropensityScores:
    """Fitted scores (indexed like the input frame) and the model behind them."""

    scores: pd.Series
    formula: str
    coefficients: pd.DataFrame
    model: dict[str, Any]

    @property
    def logit(self) -> pd.Series:
        """The scores on the logit scale (what matching measures distance on)."""
        return logit(self.scores)


def logit(p: pd.Series) -> pd.Series:
    """log(p / (1 - p)), with p clipped away from 0 and 1 to stay finite."""
    clipped = p.clip(1e-9, 1 - 1e-9)
    return pd.Series(np.log(clipped / (1 - clipped)), index=p.index, name=p.name)


def estimate_propensity(
    frame: pd.DataFrame, treatment: str, covariates: Sequence[str]
) -> PropensityScores:
    """Fit a logistic propensity model of ``treatment`` (0/1) on ``covariates``.

    Text and categorical covariates enter as indicator sets. Missing covariate values are
    an error: dropping those people silently would change the population compared.
    """
    what = "propensity model"
    require_complete(frame, [treatment, *covariates], what)
    require_binary(frame, treatment, what)
    formula = f"{treatment} ~ {rhs(frame, covariates)}"
    fitted = smf.glm(formula, data=frame, family=sm.families.Binomial()).fit()
    scores = pd.Series(fitted.predict(frame), index=frame.index, name="propensity")
    coefficients = pd.DataFrame(
        {
            "term": fitted.params.index,
            "coefficient": fitted.params.to_numpy(),
            "std_error": fitted.bse.to_numpy(),
        }
    )
    model = {
        "formula": formula,
        "family": "binomial (logit link)",
        "n": int(fitted.nobs),
        "log_likelihood": float(fitted.llf),
        "coefficients": dict(zip(fitted.params.index, fitted.params.to_numpy(), strict=True)),
    }
    return PropensityScores(scores, formula, coefficients, model)
