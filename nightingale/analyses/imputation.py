"""Missing follow-up: multiple imputation by chained equations, pooled by Rubin's rules.

Questionnaires that are not returned leave holes that a complete-case analysis fills by
dropping people, which biases results when the people who do not answer differ from
those who do. MICE (statsmodels ``MICEData``) imputes each incomplete variable from the
others in turn with predictive mean matching, repeats to make ``m`` completed data sets,
fits the analysis model on each, and Rubin's rules pool the ``m`` results: the estimate
is their mean, and its variance adds the between-imputation spread to the average
within-imputation variance, so the interval reflects what the missing data leave
unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.imputation.mice import MICEData

from nightingale.analyses.results import AnalysisResult, estimate_row
from nightingale.platform.errors import NightingaleError


@dataclass(frozen=True)
class Pooled:
    """One parameter pooled over imputations by Rubin's rules."""

    estimate: float
    within: float
    between: float
    total: float
    df: float
    fraction_missing_information: float

    @property
    def std_error(self) -> float:
        return float(np.sqrt(self.total))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        t = float(stats.t.ppf(0.5 + level / 2, self.df))
        return self.estimate - t * self.std_error, self.estimate + t * self.std_error


def rubins_rules(estimates: Sequence[float], variances: Sequence[float]) -> Pooled:
    """Pool ``m`` estimates and their squared standard errors (Rubin, 1987).

    total = W + (1 + 1/m) B, with W the mean within-imputation variance and B the
    between-imputation variance; degrees of freedom (m - 1)(1 + W / ((1 + 1/m) B))^2.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2 or len(u) != m:
        raise NightingaleError("Rubin's rules need at least two imputations, one variance each")
    within = float(u.mean())
    between = float(q.var(ddof=1))
    extra = (1 + 1 / m) * between
    total = within + extra
    # No between-imputation spread (or a vanishing one) means infinite degrees of freedom.
    ratio = within / extra if extra > 0 else float("inf")
    df = (m - 1) * (1 + ratio) ** 2 if ratio < 1e100 else float("inf")
    fmi = 0.0 if total == 0 else extra / total
    return Pooled(float(q.mean()), within, between, total, df, fmi)


def _safe_name(name: str) -> str:
    return re.sub(r"\W", "_", name)


def mice_ols(
    frame: pd.DataFrame,
    outcome: str,
    terms: Sequence[str],
    *,
    effect: str,
    n_imputations: int = 20,
    n_burnin: int = 10,
    n_skip: int = 3,
    seed: int = 0,
) -> AnalysisResult:
    """Linear regression of ``outcome`` on ``terms`` with MICE for missing values.

    Every column of ``frame`` takes part in imputation (all must be numeric; use
    indicator columns for categories); ``effect`` names the term reported. The sequence
    of imputations is that of statsmodels' ``MICE.fit`` with the same ``seed``.
    """
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise NightingaleError(f"MICE: columns must be numeric, not {', '.join(non_numeric)}")
    renamed = frame.rename(columns=_safe_name).astype(float)
    y, xs, target = _safe_name(outcome), [_safe_name(t) for t in terms], _safe_name(effect)
    formula = f"{y} ~ " + " + ".join(xs)
    missing = {str(k): int(v) for k, v in renamed.isna().sum().items() if v}
    data = MICEData(renamed, rng=np.random.default_rng(seed))
    data.update_all(n_burnin)
    estimates, variances = [], []
    for _ in range(n_imputations):
        data.update_all(n_skip + 1)  # as MICE.next_sample: skip n_skip, keep the next
        fitted = smf.ols(formula, data.data).fit()
        estimates.append(float(fitted.params[target]))
        variances.append(float(fitted.bse[target]) ** 2)
    pooled = rubins_rules(estimates, variances)
    low, high = pooled.interval()
    row = estimate_row(
        f"{outcome} difference",
        pooled.estimate,
        pooled.std_error,
        low,
        high,
        df=pooled.df,
        fraction_missing_information=pooled.fraction_missing_information,
        imputations=n_imputations,
        n=len(frame),
    )
    return AnalysisResult(
        name=f"{outcome}_mice",
        summary=(
            f"{outcome}: with missing values imputed {n_imputations} times (MICE, predictive "
            f"mean matching) the {effect} difference is {pooled.estimate:+.3f} (95% CI "
            f"{low:+.3f} to {high:+.3f}); {pooled.fraction_missing_information:.0%} of the "
            "information about it is missing."
        ),
        tables={
            "estimates": pd.DataFrame([row]),
            "imputations": pd.DataFrame(
                {
                    "imputation": range(1, n_imputations + 1),
                    "estimate": estimates,
                    "variance": variances,
                }
            ),
        },
        models={
            "model": {
                "formula": formula,
                "imputation": "MICE, predictive mean matching (statsmodels MICEData)",
                "n_imputations": n_imputations,
                "n_burnin": n_burnin,
                "n_skip": n_skip,
                "seed": seed,
                "missing_values": missing,
                "within_variance": pooled.within,
                "between_variance": pooled.between,
                "df": pooled.df,
            }
        },
    )
