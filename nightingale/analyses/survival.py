"""Time to a first event: Kaplan–Meier curves and the Cox proportional hazards model.

People are followed for different times and many never have the event, so time to a
first emergency admission is censored data. Kaplan–Meier (statsmodels SurvfuncRight)
estimates each group's event-free probability over time; the Cox model (statsmodels
PHReg, Efron ties) gives the hazard ratio, adjusted for covariates if asked, with
robust standard errors when the data carry weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from matplotlib.figure import Figure

from nightingale.analyses._design import require_binary, require_complete, rhs
from nightingale.analyses._models import interval
from nightingale.analyses.results import AnalysisResult, estimate_row

GROUP_LABELS = {0: "comparison", 1: "treated"}


def kaplan_meier(
    frame: pd.DataFrame, duration: str, event: str, group: str
) -> tuple[pd.DataFrame, Figure]:
    """Each group's event-free probability over time: a tidy table and a step plot."""
    require_complete(frame, [duration, event, group], "Kaplan–Meier")
    rows: list[pd.DataFrame] = []
    figure = Figure(figsize=(6.0, 3.8))
    axes = figure.add_subplot()
    for value in sorted(pd.unique(frame[group])):
        part = frame[frame[group] == value]
        fit = sm.SurvfuncRight(part[duration].to_numpy(float), part[event].to_numpy(int))
        label = GROUP_LABELS.get(int(value), str(value))
        rows.append(
            pd.DataFrame(
                {
                    "group": label,
                    "time": fit.surv_times,
                    "at_risk": fit.n_risk,
                    "events": fit.n_events,
                    "survival": fit.surv_prob,
                    "std_error": fit.surv_prob_se,
                }
            )
        )
        times = np.concatenate([[0.0], fit.surv_times])
        probs = np.concatenate([[1.0], fit.surv_prob])
        axes.step(times, probs, where="post", label=label)
    axes.set_xlabel(duration)
    axes.set_ylabel("event-free probability")
    axes.set_ylim(0, 1.02)
    axes.set_title(f"Kaplan–Meier: time to {event}")
    axes.legend()
    figure.tight_layout()
    return pd.concat(rows, ignore_index=True), figure


def cox_hazard_ratio(
    frame: pd.DataFrame,
    duration: str,
    event: str,
    treatment: str,
    covariates: Sequence[str] = (),
    *,
    weights: str | None = None,
) -> AnalysisResult:
    """Hazard ratio of ``treatment`` from a Cox model, with Kaplan–Meier curves."""
    what = f"Cox model of {event}"
    require_complete(frame, [duration, event, treatment, *covariates], what)
    require_binary(frame, treatment, what)
    formula = f"{duration} ~ {rhs(frame, [treatment, *covariates])}"
    model = smf.phreg(
        formula,
        data=frame,
        status=frame[event].to_numpy(int),
        ties="efron",
        weights=frame[weights].to_numpy(float) if weights else None,
    )
    # Weighted (matched or IPW) data need a sandwich variance; PHReg gives one when told
    # the clusters, here one per person.
    fitted = model.fit(groups=np.arange(len(frame)) if weights else None)
    est, se = _by_name(fitted, model, treatment)
    hr, low, high = interval(est, se, log_scale=True)
    row = estimate_row(
        f"{event} hazard ratio",
        hr,
        se,
        low,
        high,
        log_estimate=est,
        n=len(frame),
        events=int(frame[event].sum()),
    )
    table, figure = kaplan_meier(frame, duration, event, treatment)
    details: dict[str, Any] = {
        "formula": formula,
        "ties": "efron",
        "standard_errors": "robust" if weights else "model-based",
        "n": len(frame),
        "events": int(frame[event].sum()),
    }
    return AnalysisResult(
        name=f"{event}_cox",
        summary=(
            f"time to {event}: hazard ratio {hr:.2f} (95% CI {low:.2f} to {high:.2f}; Cox "
            f"model, {int(frame[event].sum())} events among {len(frame)} people)."
        ),
        tables={"estimates": pd.DataFrame([row]), "kaplan_meier": table},
        figures={"kaplan_meier": figure},
        models={"model": details},
    )


def _by_name(fitted: Any, model: Any, term: str) -> tuple[float, float]:
    """PHReg returns bare arrays; find the term by the model's exog names."""
    names = list(model.exog_names)
    i = names.index(term)
    return float(fitted.params[i]), float(fitted.bse[i])
