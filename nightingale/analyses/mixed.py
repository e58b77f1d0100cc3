"""Mixed models for repeated continuous outcomes such as EQ-5D utility trajectories.

Each person answers several questionnaires; their answers share the person's own level
(a random intercept) and, optionally, their own rate of change (a random slope). A
linear mixed model (statsmodels MixedLM, REML) uses every questionnaire returned, so
people with some missing follow-ups still count, and it stays unbiased when missingness
depends on earlier observed answers (missing at random).

The treatment effect reported is the treated group's mean difference over follow-up
(the coefficient of the treatment indicator, with period fixed effects); the table of
fixed effects and a plot of the groups' mean trajectories come with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from matplotlib.figure import Figure

from nightingale.analyses._design import is_categorical, require_binary, require_complete, rhs
from nightingale.analyses._models import coefficient, interval
from nightingale.analyses.results import AnalysisResult, estimate_row


def mixed_trajectory(
    panel: pd.DataFrame,
    outcome: str,
    *,
    group: str,
    treatment: str,
    time: str,
    covariates: Sequence[str] = (),
    random_slope: bool = False,
) -> AnalysisResult:
    """Mean difference in ``outcome`` over follow-up from a linear mixed model.

    Rows with a missing ``outcome`` are dropped (the model uses every answer returned);
    ``time`` enters as period fixed effects and, with ``random_slope``, as a numeric
    per-person slope.
    """
    what = f"mixed model of {outcome}"
    require_complete(panel, [group, treatment, time, *covariates], what)
    require_binary(panel, treatment, what)
    observed = panel.dropna(subset=[outcome]).sort_values([group, time], kind="stable")
    observed = _standardised(observed, covariates)
    formula = f"{outcome} ~ {rhs(observed, [treatment, *covariates])} + C({time})"
    re_formula = f"1 + {time}" if random_slope else "1"
    model = smf.mixedlm(formula, observed, groups=observed[group], re_formula=re_formula)
    with warnings.catch_warnings(record=True) as caught:
        # Two statsmodels warnings are expected on utility-scale data and are kept in the
        # model summary instead of failing the run: "MLE on the boundary" fires whenever a
        # variance is below 0.01 in absolute terms (any 0..1 outcome), and "random effects
        # covariance is singular" fires at trial points while the optimiser searches.
        # Whether the fit converged is recorded. Every other warning is re-raised.
        warnings.simplefilter("always")
        try:
            fitted = model.fit(reml=True, method=["bfgs", "lbfgs"])
        except np.linalg.LinAlgError:
            # A gradient step can land on a singular trial point; Powell needs no gradient.
            fitted = model.fit(reml=True, method=["powell"])
    notes = sorted({str(w.message) for w in caught if _expected(w.message)})
    for w in caught:
        if not _expected(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    est, se = coefficient(fitted, treatment)
    value, low, high = interval(est, se, log_scale=False)
    row = estimate_row(
        f"{outcome} difference",
        value,
        se,
        low,
        high,
        n=len(observed),
        units=int(observed[group].nunique()),
    )
    fixed = pd.DataFrame(
        {
            "term": fitted.fe_params.index,
            "estimate": fitted.fe_params.to_numpy(),
            "std_error": fitted.bse_fe.to_numpy(),
        }
    )
    details: dict[str, Any] = {
        "formula": formula,
        "random_effects": re_formula,
        "groups": int(observed[group].nunique()),
        "n": len(observed),
        "method": "REML",
        "converged": bool(fitted.converged),
        "warnings": notes,
        "residual_variance": float(fitted.scale),
        "random_effects_covariance": np.asarray(fitted.cov_re).tolist(),
        "fixed_effects": {
            str(k): {"estimate": float(fitted.fe_params[k]), "std_error": float(fitted.bse_fe[k])}
            for k in fitted.fe_params.index
        },
    }
    means = observed.groupby([time, treatment])[outcome].mean().unstack(treatment).sort_index()
    return AnalysisResult(
        name=f"{outcome}_mixed",
        summary=(
            f"{outcome}: over follow-up the treated group's mean was {value:+.3f} compared "
            f"with the comparison group (95% CI {low:+.3f} to {high:+.3f}; linear mixed model "
            f"with a random {'intercept and slope' if random_slope else 'intercept'} per "
            f"{group}, {len(observed)} observations)."
        ),
        tables={"estimates": pd.DataFrame([row]), "fixed_effects": fixed},
        figures={"trajectory": trajectory_plot(means, outcome)},
        models={"model": details},
    )


_EXPECTED = ("The MLE may be on the boundary", "Random effects covariance is singular")


def _expected(message: Warning | str) -> bool:
    return any(text in str(message) for text in _EXPECTED)


def _standardised(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric covariates centred and scaled: MixedLM's optimiser fails on columns whose
    scales differ by orders of magnitude (earnings in pounds next to utilities), and the
    treatment coefficient does not change."""
    out = frame.copy()
    for column in covariates:
        if not is_categorical(out[column]):
            values = out[column].astype(float)
            spread = float(values.std())
            out[column] = (values - values.mean()) / (spread if spread > 0 else 1.0)
    return out


def trajectory_plot(means: pd.DataFrame, outcome: str) -> Figure:
    """Observed mean of ``outcome`` per period in each group."""
    figure = Figure(figsize=(6.0, 3.5))
    axes = figure.add_subplot()
    labels = {0: "comparison", 1: "treated"}
    for column in means.columns:
        axes.plot(means.index, means[column], marker="o", label=labels.get(int(column), column))
    axes.set_xlabel("period")
    axes.set_ylabel(f"mean {outcome}")
    axes.set_title(f"{outcome} over follow-up")
    axes.legend()
    figure.tight_layout()
    return figure
