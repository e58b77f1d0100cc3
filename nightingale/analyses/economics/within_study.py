"""Within-study (trial-based) cost-effectiveness: one row per person in, results out.

Input is a frame with one row per person: a 0/1 treatment column (1 = the reference
arm, e.g. a designed-for-health home), total discounted cost, total discounted QALYs,
and baseline covariates. The analysis follows the usual trial-based recipe (Ramsey et
al. 2015 ISPOR good practice; Ben et al. 2023):

1. *Regression-adjusted increments*: seemingly unrelated regression of cost and QALYs
   on treatment, with baseline utility in the QALY equation and baseline cost (and any
   other covariates) in the cost equation (:mod:`.sur`).
2. *ICER* with dominance handled (:func:`.incremental.compare`) and *INMB* at GBP 20,000
   and 30,000 per QALY, with 25,000 and 35,000 as sensitivity thresholds.
3. *Uncertainty*: a paired, stratified, seeded bootstrap refitting the SUR each time
   (:mod:`.bootstrap`): the CE plane, percentile intervals, the CEAC and the
   probability of being cost-effective at each threshold.

Increments are reference minus comparator throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.analyses.economics.bootstrap import BootstrapResult, bootstrap_increments
from nightingale.analyses.economics.ceac import probability_cost_effective
from nightingale.analyses.economics.incremental import (
    NICE_THRESHOLDS,
    SENSITIVITY_THRESHOLDS,
    PairwiseResult,
    compare,
)
from nightingale.analyses.economics.sur import Equation, fit_sur
from nightingale.platform.errors import NightingaleError

Array = NDArray[np.float64]


@dataclass(frozen=True)
class TrialSpec:
    """Which columns mean what, and how the uncertainty is computed."""

    treatment: str = "treated"
    cost: str = "cost"
    effect: str = "qaly"
    cost_covariates: tuple[str, ...] = ()
    effect_covariates: tuple[str, ...] = ()
    thresholds: tuple[float, ...] = NICE_THRESHOLDS
    sensitivity_thresholds: tuple[float, ...] = SENSITIVITY_THRESHOLDS
    replicates: int = 5_000
    seed: int = 20_240_101
    ceac_grid: tuple[float, ...] = field(
        default_factory=lambda: tuple(float(k) for k in range(0, 100_001, 1_000))
    )


@dataclass(frozen=True)
class WithinStudyResult:
    """Point estimates, bootstrap replicates and what they say about cost-effectiveness."""

    spec: TrialSpec
    arm_sizes: dict[str, int]
    comparison: PairwiseResult
    std_errors: tuple[float, float]
    """Standard errors of the incremental cost and QALYs (SUR, or Rubin's rules after MI)."""
    bootstrap: BootstrapResult
    method: str
    model_table: pd.DataFrame
    """The fitted model's coefficients (SUR) or the pooled estimates (MI), for the record."""

    @property
    def delta_cost(self) -> float:
        return self.comparison.delta_cost

    @property
    def delta_effect(self) -> float:
        return self.comparison.delta_effect

    def ceac(self) -> pd.DataFrame:
        """Probability the reference arm is cost-effective across the threshold grid."""
        grid = np.asarray(self.spec.ceac_grid, dtype=float)
        return pd.DataFrame(
            {
                "threshold": grid,
                "probability_cost_effective": probability_cost_effective(
                    self.bootstrap.delta_cost, self.bootstrap.delta_effect, grid
                ),
            }
        )

    def increments(self) -> pd.DataFrame:
        """Incremental cost and QALYs with SUR standard errors and bootstrap intervals."""
        rows = []
        for label, estimate, std_error, replicates in (
            ("incremental cost", self.delta_cost, self.std_errors[0], self.bootstrap.delta_cost),
            (
                "incremental QALYs",
                self.delta_effect,
                self.std_errors[1],
                self.bootstrap.delta_effect,
            ),
        ):
            low, high = self.bootstrap.interval(replicates)
            rows.append(
                {
                    "quantity": label,
                    "estimate": estimate,
                    "std_error": std_error,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        icer = self.comparison.icer
        rows.append(
            {
                "quantity": f"ICER ({self.comparison.quadrant.value})",
                "estimate": icer if icer is not None else np.nan,
                "std_error": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
            }
        )
        return pd.DataFrame(rows)

    def net_benefit(self) -> pd.DataFrame:
        """INMB and probability cost-effective at the NICE and sensitivity thresholds."""
        rows = []
        for kind, thresholds in (
            ("NICE", self.spec.thresholds),
            ("sensitivity", self.spec.sensitivity_thresholds),
        ):
            for k in thresholds:
                replicates = self.bootstrap.inmb(k)
                low, high = self.bootstrap.interval(replicates)
                rows.append(
                    {
                        "threshold": k,
                        "kind": kind,
                        "inmb": self.comparison.inmb(k),
                        "ci_low": low,
                        "ci_high": high,
                        "probability_cost_effective": float(np.mean(replicates > 0)),
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        icer = self.comparison.icer
        ratio = (
            f"an ICER of {icer:,.0f} per QALY"
            if icer is not None
            else f"the reference arm {self.comparison.quadrant.value}"
        )
        k = self.spec.thresholds[0]
        at_k = self.net_benefit().iloc[0]
        return (
            f"Adjusted incremental cost {self.delta_cost:,.2f} and QALYs "
            f"{self.delta_effect:.4f} (reference minus comparator), {ratio}; INMB at "
            f"{k:,.0f} per QALY {at_k['inmb']:,.2f} (probability cost-effective "
            f"{at_k['probability_cost_effective']:.2f}, {self.bootstrap.delta_cost.size} "
            f"bootstrap replicates, seed {self.bootstrap.seed})."
        )

    def settings(self) -> dict[str, Any]:
        return {
            "sign_convention": "reference (treatment = 1) minus comparator (treatment = 0)",
            "cost_equation": [self.spec.treatment, *self.spec.cost_covariates],
            "effect_equation": [self.spec.treatment, *self.spec.effect_covariates],
            "estimator": self.method,
            "bootstrap": {
                "replicates": self.bootstrap.delta_cost.size,
                "seed": self.bootstrap.seed,
                "paired": True,
                "stratified_by_arm": True,
                "refits_sur": self.bootstrap.adjusted,
            },
            "arm_sizes": self.arm_sizes,
        }


def analyse_trial(frame: pd.DataFrame, spec: TrialSpec) -> WithinStudyResult:
    """Run steps 1-3 of the module docstring on complete per-person data."""
    columns = [
        spec.treatment,
        spec.cost,
        spec.effect,
        *spec.cost_covariates,
        *spec.effect_covariates,
    ]
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise NightingaleError(f"within-study analysis needs columns {missing}")
    data = frame[list(dict.fromkeys(columns))]
    if data.isna().any().any():
        raise NightingaleError(
            "within-study analysis needs complete data; use multiple imputation "
            "(economics.imputed) or drop incomplete people explicitly"
        )
    sur = fit_sur(
        data,
        [
            Equation(spec.cost, (spec.treatment, *spec.cost_covariates)),
            Equation(spec.effect, (spec.treatment, *spec.effect_covariates)),
        ],
    )
    comparison = compare(sur.coefficient(0, spec.treatment), sur.coefficient(1, spec.treatment))
    boot = bootstrap_increments(
        data,
        treatment=spec.treatment,
        cost=spec.cost,
        effect=spec.effect,
        cost_covariates=spec.cost_covariates,
        effect_covariates=spec.effect_covariates,
        replicates=spec.replicates,
        seed=spec.seed,
    )
    arms = data[spec.treatment].value_counts().to_dict()
    return WithinStudyResult(
        spec=spec,
        arm_sizes={"reference": int(arms.get(1, 0)), "comparator": int(arms.get(0, 0))},
        comparison=comparison,
        std_errors=(sur.standard_error(0, spec.treatment), sur.standard_error(1, spec.treatment)),
        bootstrap=boot,
        method="seemingly unrelated regression (FGLS, geomean residual divisor), complete cases",
        model_table=sur.table(),
    )
