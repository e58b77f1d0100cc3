"""Covariate balance: standardised mean differences before and after, and a love plot.

The standardised mean difference (SMD) of a covariate is the difference of the groups'
(weighted) means divided by a pooled standard deviation. The denominator is always the
*unweighted* pooled SD of the whole sample, so before and after are on one scale and a
change in SMD reflects a change in means, not in spread (Austin & Stuart, 2015).
Categorical covariates contribute one row per level (its share). An absolute SMD below
0.1 is the usual mark of adequate balance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nightingale.analyses._design import is_categorical, require_complete

BALANCE_THRESHOLD = 0.1


def _indicators(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric covariates as they are; categorical ones as 0/1 columns ``name=level``."""
    parts: list[pd.DataFrame] = []
    for column in covariates:
        series = frame[column]
        if is_categorical(series):
            levels = sorted(pd.unique(series.astype(str)))
            parts.append(
                pd.DataFrame(
                    {f"{column}={lv}": (series.astype(str) == lv).astype(float) for lv in levels},
                    index=frame.index,
                )
            )
        else:
            parts.append(series.astype(float).to_frame(column))
    return pd.concat(parts, axis=1)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.asarray((values * weights[:, None]).sum(axis=0) / weights.sum())


def standardised_differences(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    weights: pd.Series | None = None,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per covariate (or level): weighted means in each group and their SMD.

    ``weights`` (indexed like ``frame``; missing labels count as 0) re-weight the
    groups; ``reference`` is the sample whose unweighted pooled SD is the denominator
    (``frame`` itself by default).
    """
    require_complete(frame, [treatment, *covariates], "balance")
    x = _indicators(frame, covariates)
    base = _indicators(frame if reference is None else reference, covariates)
    base = base.reindex(columns=x.columns, fill_value=0.0)
    ref_treat = (frame if reference is None else reference)[treatment].to_numpy() == 1
    w = (
        np.ones(len(frame))
        if weights is None
        else weights.reindex(frame.index).fillna(0.0).to_numpy(dtype=float)
    )
    z = frame[treatment].to_numpy() == 1
    values = x.to_numpy(dtype=float)
    mean_t = _weighted_mean(values[z], w[z])
    mean_c = _weighted_mean(values[~z], w[~z])
    ref = base.to_numpy(dtype=float)
    pooled = np.sqrt((ref[ref_treat].var(axis=0) + ref[~ref_treat].var(axis=0)) / 2.0)
    diff = mean_t - mean_c
    with np.errstate(divide="ignore", invalid="ignore"):
        smd = np.where(pooled > 0, diff / np.where(pooled > 0, pooled, 1.0), 0.0)
    return pd.DataFrame(
        {"variable": x.columns, "mean_treated": mean_t, "mean_control": mean_c, "smd": smd}
    )


def balance_table(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    weights: pd.Series,
) -> pd.DataFrame:
    """SMDs before (everyone, unweighted) and after (``weights``: matching or IPW)."""
    before = standardised_differences(frame, treatment, covariates)
    after = standardised_differences(frame, treatment, covariates, weights, reference=frame)
    table = before.rename(
        columns={
            "mean_treated": "mean_treated_before",
            "mean_control": "mean_control_before",
            "smd": "smd_before",
        }
    )
    table["mean_treated_after"] = after["mean_treated"].to_numpy()
    table["mean_control_after"] = after["mean_control"].to_numpy()
    table["smd_after"] = after["smd"].to_numpy()
    table["balanced_after"] = table["smd_after"].abs() < BALANCE_THRESHOLD
    return table


def love_plot(table: pd.DataFrame, title: str = "Covariate balance") -> Figure:
    """Absolute SMD per covariate before and after, with the 0.1 threshold marked."""
    ordered = table.assign(_abs=table["smd_before"].abs()).sort_values("_abs", kind="stable")
    positions = np.arange(len(ordered))
    figure = Figure(figsize=(6.0, 0.28 * len(ordered) + 1.5))
    axes = figure.add_subplot()
    axes.scatter(ordered["smd_before"].abs(), positions, marker="o", label="before", color="C3")
    axes.scatter(ordered["smd_after"].abs(), positions, marker="D", label="after", color="C0")
    axes.axvline(BALANCE_THRESHOLD, color="grey", linestyle="--", linewidth=1)
    axes.set_yticks(positions, ordered["variable"], fontsize=7)
    axes.set_xlabel("absolute standardised mean difference")
    axes.set_title(title)
    axes.legend(loc="lower right")
    figure.tight_layout()
    return figure
