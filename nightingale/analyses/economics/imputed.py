"""Multiple imputation of missing costs and utilities, then SUR, pooled by Rubin's rules.

Trials lose questionnaires and cost diaries. Dropping everyone with a gap (complete
case) is unbiased only if data are missing completely at random; multiple imputation
by chained equations (MICE) is valid under missing at random given the variables used
(Faria et al. 2014, the standard guide for trial-based economic evaluations).

The *components* are imputed (each period's cost and utility), not the totals, and the
totals (cost sum, QALY AUC) are recomputed from each completed data set, as Faria et
al. recommend. Each completed data set gets the SUR of :mod:`.within_study`; the
treatment coefficients and the INMB at each threshold are pooled by Rubin's rules
(:func:`nightingale.analyses.imputation.rubins_rules`, shared with the evaluation
package). Imputation uses statsmodels' ``MICEData`` (predictive mean matching) with a
seeded generator.

For the CE plane and the CEAC each completed data set is also bootstrapped (``B / m``
paired, stratified replicates refitting the SUR) and the replicates are stacked — the
"MI then bootstrap, pooled sample" approach (Schomaker and Heumann 2018; Brand et al.
2019 compare it with the alternatives for trial-based economic evaluations).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.imputation.mice import MICEData

from nightingale.analyses.canonical import derive_seed
from nightingale.analyses.economics.bootstrap import BootstrapResult, bootstrap_increments
from nightingale.analyses.economics.incremental import compare
from nightingale.analyses.economics.sur import Equation, fit_sur
from nightingale.analyses.economics.within_study import TrialSpec, WithinStudyResult
from nightingale.analyses.imputation import Pooled, rubins_rules
from nightingale.platform.errors import NightingaleError

Totals = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class ImputedResult:
    """Pooled increments and INMB over ``m`` imputations."""

    delta_cost: Pooled
    delta_effect: Pooled
    inmb: dict[float, Pooled]
    n_imputations: int
    missing_values: dict[str, int]
    bootstrap: BootstrapResult | None = None
    arm_sizes: dict[str, int] | None = None

    def to_within_study(self, spec: TrialSpec) -> WithinStudyResult:
        """The pooled result in the shape of a complete-case one (needs the bootstrap)."""
        if self.bootstrap is None or self.arm_sizes is None:
            raise NightingaleError("imputed_sur was run without bootstrap replicates")
        return WithinStudyResult(
            spec=spec,
            arm_sizes=self.arm_sizes,
            comparison=compare(self.delta_cost.estimate, self.delta_effect.estimate),
            std_errors=(self.delta_cost.std_error, self.delta_effect.std_error),
            bootstrap=self.bootstrap,
            method=(
                f"seemingly unrelated regression after multiple imputation (MICE, m = "
                f"{self.n_imputations}), pooled by Rubin's rules; bootstrap pooled over "
                "imputations"
            ),
            model_table=self.table(),
        )

    @property
    def icer(self) -> float:
        """Ratio of the pooled increments (the ICER is not itself pooled)."""
        return self.delta_cost.estimate / self.delta_effect.estimate

    def table(self) -> pd.DataFrame:
        rows = [("incremental cost", self.delta_cost), ("incremental QALYs", self.delta_effect)]
        rows += [(f"INMB at {k:,.0f}", pooled) for k, pooled in self.inmb.items()]
        return pd.DataFrame(
            [
                {
                    "quantity": label,
                    "estimate": p.estimate,
                    "std_error": p.std_error,
                    "ci_low": p.interval()[0],
                    "ci_high": p.interval()[1],
                    "fraction_missing_information": p.fraction_missing_information,
                    "imputations": self.n_imputations,
                }
                for label, p in rows
            ]
        )


def imputed_sur(
    frame: pd.DataFrame,
    totals: Totals,
    spec: TrialSpec,
    *,
    impute: Sequence[str],
    n_imputations: int = 20,
    n_burnin: int = 10,
    n_skip: int = 3,
    seed: int = 0,
    bootstrap_replicates: int = 0,
) -> ImputedResult:
    """Impute the ``impute`` columns of ``frame``, add totals, fit SUR, pool.

    ``frame`` holds the components, the treatment and the covariates (all numeric; all
    of them inform the imputation). ``totals`` adds ``spec.cost`` and ``spec.effect``
    to a completed frame.
    """
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise NightingaleError(f"imputation needs numeric columns, not {non_numeric}")
    unexpected = [c for c in frame.columns[frame.isna().any()] if c not in impute]
    if unexpected:
        raise NightingaleError(f"columns {unexpected} have missing values but are not imputed")
    missing = {c: int(frame[c].isna().sum()) for c in impute if frame[c].isna().any()}
    data = MICEData(frame.astype(float).reset_index(drop=True), rng=np.random.default_rng(seed))
    data.update_all(n_burnin)
    equations = [
        Equation(spec.cost, (spec.treatment, *spec.cost_covariates)),
        Equation(spec.effect, (spec.treatment, *spec.effect_covariates)),
    ]
    thresholds = [*spec.thresholds, *spec.sensitivity_thresholds]
    estimates: dict[str, list[float]] = {
        "cost": [],
        "effect": [],
        **{str(k): [] for k in thresholds},
    }
    variances: dict[str, list[float]] = {key: [] for key in estimates}
    per_imputation = -(-bootstrap_replicates // n_imputations)  # ceiling
    boots: list[BootstrapResult] = []
    for i in range(n_imputations):
        data.update_all(n_skip + 1)
        completed = totals(data.data.copy())
        fit = fit_sur(completed, equations)
        if per_imputation:
            boots.append(
                bootstrap_increments(
                    completed,
                    treatment=spec.treatment,
                    cost=spec.cost,
                    effect=spec.effect,
                    cost_covariates=spec.cost_covariates,
                    effect_covariates=spec.effect_covariates,
                    replicates=per_imputation,
                    seed=derive_seed(str(seed), f"bootstrap:imputation:{i}"),
                )
            )
        dc, de = fit.coefficient(0, spec.treatment), fit.coefficient(1, spec.treatment)
        var_c = fit.standard_error(0, spec.treatment) ** 2
        var_e = fit.standard_error(1, spec.treatment) ** 2
        cov = fit.covariance_between((0, spec.treatment), (1, spec.treatment))
        estimates["cost"].append(dc)
        variances["cost"].append(var_c)
        estimates["effect"].append(de)
        variances["effect"].append(var_e)
        for k in thresholds:
            estimates[str(k)].append(k * de - dc)
            variances[str(k)].append(k * k * var_e + var_c - 2 * k * cov)
    pooled = {key: rubins_rules(estimates[key], variances[key]) for key in estimates}
    stacked = (
        BootstrapResult(
            delta_cost=np.concatenate([b.delta_cost for b in boots])[:bootstrap_replicates],
            delta_effect=np.concatenate([b.delta_effect for b in boots])[:bootstrap_replicates],
            seed=seed,
            adjusted=True,
        )
        if boots
        else None
    )
    arms = frame[spec.treatment].value_counts()
    return ImputedResult(
        delta_cost=pooled["cost"],
        delta_effect=pooled["effect"],
        inmb={k: pooled[str(k)] for k in thresholds},
        n_imputations=n_imputations,
        missing_values=missing,
        bootstrap=stacked,
        arm_sizes={"reference": int(arms.get(1, 0)), "comparator": int(arms.get(0, 0))},
    )
