"""Inverse-probability-of-treatment weights from propensity scores.

Weighting keeps everyone (matching may drop people) and re-weights the groups to look
alike on the covariates of the propensity model. Two estimands:

- ``ATE`` (average effect in the whole population): treated 1/p, controls 1/(1-p);
- ``ATT`` (average effect on the treated, what matching estimates): treated 1,
  controls p/(1-p).

Stabilised ATE weights multiply by the marginal probability of the group received, so
the weights average about 1 and the weighted sample keeps its size. Extreme weights can
be truncated at chosen quantiles (a bias-variance trade that the analysis plan states).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from nightingale.platform.errors import NightingaleError

Estimand = Literal["ATE", "ATT"]


def ipw_weights(
    scores: pd.Series,
    treatment: pd.Series,
    estimand: Estimand = "ATE",
    *,
    stabilise: bool = True,
    truncate: tuple[float, float] | None = None,
) -> pd.Series:
    """Inverse-probability weights for each unit (indexed like ``scores``).

    ``truncate=(0.01, 0.99)`` caps weights at those quantiles of the weight distribution.
    """
    if not scores.index.equals(treatment.index):
        raise NightingaleError("weighting: scores and treatment must share one index")
    if ((scores <= 0) | (scores >= 1)).any():
        raise NightingaleError("weighting: propensity scores must lie strictly in (0, 1)")
    p = scores.to_numpy(dtype=float)
    z = treatment.to_numpy() == 1
    if estimand == "ATE":
        w = np.where(z, 1.0 / p, 1.0 / (1.0 - p))
        if stabilise:
            share = z.mean()
            w = w * np.where(z, share, 1.0 - share)
    elif estimand == "ATT":
        w = np.where(z, 1.0, p / (1.0 - p))
        if stabilise:
            # Scale control weights to sum to the number of controls.
            w = np.where(z, w, w * (~z).sum() / w[~z].sum())
    else:
        raise NightingaleError(f"weighting: unknown estimand {estimand!r} (ATE or ATT)")
    if truncate is not None:
        low, high = np.quantile(w, truncate)
        w = np.clip(w, low, high)
    return pd.Series(w, index=scores.index, name="ipw")


def effective_sample_size(weights: pd.Series) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2: how many people the weights are worth."""
    w = weights.to_numpy(dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())
