"""Difference-in-differences with cluster-robust standard errors, and event studies.

The change in the treated group's outcome from before to after, minus the change in the
comparison group's over the same time. Stable differences between the groups (the
comparison homes' tenants may simply be less healthy) cancel; what remains is the
effect, provided both groups would have followed parallel trends without the
intervention. For counts the model is Poisson with a log time-at-risk offset, so trends
are parallel on the log scale and the effect is a rate ratio.

Observations of one person are correlated, so standard errors are clustered by person.
The event study replaces the single after-indicator by one interaction per period
(relative to a reference period before the intervention): pre-period estimates near
zero support parallel trends, and post-period ones show how the effect evolves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nightingale.analyses._design import require_binary, require_complete, rhs
from nightingale.analyses._models import Family, coefficient, effect_scale, fit_glm, interval
from nightingale.analyses.results import AnalysisResult, estimate_row


def difference_in_differences(
    panel: pd.DataFrame,
    outcome: str,
    *,
    unit: str,
    treatment: str,
    post: str,
    time: str | None = None,
    covariates: Sequence[str] = (),
    family: Family = "gaussian",
    exposure: str | None = None,
    weights: str | None = None,
) -> AnalysisResult:
    """DiD estimate of the effect of ``treatment`` (0/1 per unit) after ``post`` (0/1).

    With ``time`` the model has one fixed effect per period (the two-way form); without,
    a single before/after contrast. Standard errors are clustered by ``unit``.
    """
    what = f"difference-in-differences of {outcome}"
    require_complete(panel, [outcome, unit, treatment, post, *covariates], what)
    require_binary(panel, treatment, what)
    frame = panel.assign(_did=panel[treatment] * panel[post])
    periods = [f"C({time})"] if time else [post]
    terms = " + ".join([treatment, *periods, "_did"])
    extra = rhs(frame, covariates) if covariates else ""
    formula = f"{outcome} ~ {terms}" + (f" + {extra}" if extra else "")
    fitted, details = fit_glm(
        formula, frame, family, exposure=exposure, weights=weights, cluster=unit
    )
    est, se = coefficient(fitted, "_did")
    log_scale = family != "gaussian"
    value, low, high = interval(est, se, log_scale)
    scale = effect_scale(family)
    row = estimate_row(
        f"{outcome} {scale}",
        value,
        se,
        low,
        high,
        log_estimate=est if log_scale else np.nan,
        n=len(frame),
        units=int(frame[unit].nunique()),
    )
    details["effect_term"] = f"{treatment} x {post}"
    summary = (
        f"{outcome}: difference-in-differences {scale} {value:.3g} "
        f"(95% CI {low:.3g} to {high:.3g}), standard errors clustered by {unit}."
    )
    return AnalysisResult(
        name=f"{outcome}_did",
        summary=summary,
        tables={"estimates": pd.DataFrame([row])},
        models={"model": details},
    )


def event_study(
    panel: pd.DataFrame,
    outcome: str,
    *,
    unit: str,
    treatment: str,
    time: str,
    reference: int,
    covariates: Sequence[str] = (),
    family: Family = "gaussian",
    exposure: str | None = None,
    weights: str | None = None,
) -> AnalysisResult:
    """Treated-versus-comparison contrast in each period relative to ``reference``.

    Returns a table with one row per period (the reference has estimate 0 by
    construction) and a plot of the estimates with 95% intervals.
    """
    what = f"event study of {outcome}"
    require_complete(panel, [outcome, unit, treatment, time, *covariates], what)
    require_binary(panel, treatment, what)
    periods = sorted(int(p) for p in pd.unique(panel[time]))
    frame = panel.copy()
    names: dict[int, str] = {}
    for p in periods:
        if p == reference:
            continue
        name = f"_es_{p}".replace("-", "m")
        names[p] = name
        frame[name] = (frame[treatment] * (frame[time] == p)).astype(float)
    extra = rhs(frame, covariates) if covariates else ""
    formula = f"{outcome} ~ {treatment} + C({time}) + " + " + ".join(names.values())
    formula += f" + {extra}" if extra else ""
    fitted, details = fit_glm(
        formula, frame, family, exposure=exposure, weights=weights, cluster=unit
    )
    log_scale = family != "gaussian"
    rows = []
    for p in periods:
        if p == reference:
            rows.append(
                {
                    "period": p,
                    "estimate": 1.0 if log_scale else 0.0,
                    "std_error": 0.0,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "reference": True,
                }
            )
            continue
        est, se = coefficient(fitted, names[p])
        value, low, high = interval(est, se, log_scale)
        rows.append(
            {
                "period": p,
                "estimate": value,
                "std_error": se,
                "ci_low": low,
                "ci_high": high,
                "reference": False,
            }
        )
    table = pd.DataFrame(rows)
    scale = effect_scale(family)
    figure = event_study_plot(table, f"{outcome}: event study", scale, log_scale)
    return AnalysisResult(
        name=f"{outcome}_event_study",
        summary=(
            f"{outcome}: treated-versus-comparison {scale} by period relative to period "
            f"{reference}; before the intervention the estimates should be near "
            f"{'1' if log_scale else '0'}."
        ),
        tables={"event_study": table},
        figures={"event_study": figure},
        models={"event_study_model": details},
    )


def event_study_plot(table: pd.DataFrame, title: str, scale: str, log_scale: bool) -> Figure:
    """Estimates per period with 95% intervals and the no-effect line."""
    figure = Figure(figsize=(6.0, 3.5))
    axes = figure.add_subplot()
    shown = table[~table["reference"]]
    axes.errorbar(
        shown["period"],
        shown["estimate"],
        yerr=[shown["estimate"] - shown["ci_low"], shown["ci_high"] - shown["estimate"]],
        fmt="o",
        capsize=3,
        color="C0",
    )
    reference = table[table["reference"]]
    axes.plot(reference["period"], reference["estimate"], "o", mfc="white", color="C0")
    axes.axhline(1.0 if log_scale else 0.0, color="grey", linestyle="--", linewidth=1)
    if log_scale:
        axes.set_yscale("log")  # ratios: intervals symmetric, 0.5 as far from 1 as 2
    axes.set_xlabel("period")
    axes.set_ylabel(scale)
    axes.set_title(title)
    figure.tight_layout()
    return figure
