"""The two figures health economists expect: the CE plane and the CEAC."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nightingale.analyses.economics.bootstrap import BootstrapResult


def ce_plane(
    boot: BootstrapResult,
    point: tuple[float, float],
    thresholds: Sequence[float],
    currency: str = "GBP",
) -> Figure:
    """Bootstrap replicates of (incremental QALYs, incremental cost) with threshold lines.

    Points below a threshold line are cost-effective at that threshold. The axes cross
    at the origin so the four quadrants (NE: more costly and more effective, ...) read
    at a glance.
    """
    figure = Figure(figsize=(6.4, 4.8))
    ax = figure.subplots()
    ax.scatter(boot.delta_effect, boot.delta_cost, s=4, alpha=0.25, color="#4c72b0",
               label=f"{boot.delta_cost.size:,} bootstrap replicates")  # fmt: skip
    ax.scatter([point[1]], [point[0]], s=40, color="#c44e52", zorder=3, label="point estimate")
    span = max(np.abs(boot.delta_effect).max(), abs(point[1])) * 1.1 or 1.0
    xs = np.array([-span, span])
    for k, style in zip(thresholds, ("--", ":", "-.", "-"), strict=False):
        ax.plot(xs, k * xs, style, color="0.3", linewidth=1, label=f"{k:,.0f} {currency}/QALY")
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.axvline(0, color="0.6", linewidth=0.8)
    ax.set_xlim(-span, span)
    ax.set_xlabel("Incremental QALYs (reference minus comparator)")
    ax.set_ylabel(f"Incremental cost ({currency})")
    ax.set_title("Cost-effectiveness plane")
    ax.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    return figure


def ceac_plot(ceac: pd.DataFrame, marks: Sequence[float], currency: str = "GBP") -> Figure:
    """Probability the reference arm is cost-effective against the threshold."""
    figure = Figure(figsize=(6.4, 4.0))
    ax = figure.subplots()
    ax.plot(ceac["threshold"], ceac["probability_cost_effective"], color="#4c72b0")
    for k in marks:
        ax.axvline(k, color="0.6", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"Willingness to pay per QALY ({currency})")
    ax.set_ylabel("Probability cost-effective")
    ax.set_title("Cost-effectiveness acceptability curve")
    figure.tight_layout()
    return figure
