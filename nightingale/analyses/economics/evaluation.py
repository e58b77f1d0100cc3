"""The homes pilot's economic evaluation: release frames in, a results bundle out.

Reference case as far as a housing intervention allows: NHS and PSS perspective,
24-month horizon, 3.5% discounting of costs and QALYs, QALYs from EQ-5D (:mod:`.eq5d`),
SUR adjusted for baseline cost or utility and the baseline confounders, and a paired
bootstrap for the CE plane and the CEAC. When costs or utilities are missing (the usual
case) the primary analysis is multiple imputation (:mod:`.imputed`), with complete
cases as a sensitivity analysis; the public sector plus productivity perspective is a
scenario.

The result is an :class:`~nightingale.analyses.results.AnalysisResult` whose tables,
figures and models are named ``economics_*`` (so they stay distinct from the
evaluation's when both go through the airlock together), including the CHEERS 2022
items the analysis can fill and SDC metadata for the model-based tables (descriptive
tables carry none, so the output checker reviews them by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nightingale.analyses.canonical import canonical_release, derive_seed
from nightingale.analyses.economics.cheers import checklist
from nightingale.analyses.economics.imputed import ImputedResult, imputed_sur
from nightingale.analyses.economics.incremental import PairwiseResult, compare
from nightingale.analyses.economics.lifetime import (
    LifetimeResult,
    lifetime_ceac_plot,
    pilot_inputs,
    run_lifetime,
    side_by_side,
)
from nightingale.analyses.economics.pilot import (
    COVARIATES,
    PERIOD_MONTHS,
    Perspective,
    PilotEconomics,
    add_totals,
    person_level,
)
from nightingale.analyses.economics.plots import ce_plane, ceac_plot
from nightingale.analyses.economics.within_study import TrialSpec, WithinStudyResult, analyse_trial
from nightingale.analyses.results import AnalysisResult, to_json
from nightingale.platform.storage import atomic_directory, atomic_write_text, sha256_file

SDC_FILE = "economics_sdc"
PERSPECTIVES = {
    Perspective.NHS_PSS: "NHS and personal social services",
    Perspective.PUBLIC_SECTOR_PRODUCTIVITY: "public sector plus productivity",
}


@dataclass(frozen=True)
class EconomicsRun:
    """How the uncertainty is computed (kept small for the demo, larger for publication).

    ``seed`` is the root of every random stream: each step (bootstrap, imputation, the
    scenario's bootstrap) draws from :func:`~nightingale.analyses.canonical.derive_seed`
    of it and the step's purpose, never from anything in the data.
    """

    replicates: int = 5_000
    seed: int = 20_240_101
    imputations: int = 10
    burn_in: int = 10
    skip: int = 3
    impute: bool = True
    lifetime: bool = True
    lifetime_samples: int = 2_000


def seed_for(run: EconomicsRun, purpose: str) -> int:
    """The seed of one random step of the economic evaluation."""
    return derive_seed(f"economics:{run.seed}", purpose)


def _spec(run: EconomicsRun) -> TrialSpec:
    return TrialSpec(
        treatment="treated",
        cost_covariates=("baseline_cost", *COVARIATES),
        effect_covariates=("baseline_utility", *COVARIATES),
        replicates=run.replicates,
        seed=seed_for(run, "bootstrap"),
    )


def _model_sdc(name: str, result: WithinStudyResult) -> dict[str, Any]:
    n = sum(result.arm_sizes.values())
    k = max(len(result.spec.cost_covariates), len(result.spec.effect_covariates)) + 2
    return {
        "kind": "model",
        "model": name,
        "nobs": n,
        "residual_dof": float(n - k),
        "coefficients": {"delta_cost": result.delta_cost, "delta_qalys": result.delta_effect},
    }


def _scenario(label: str, n: int, result: PairwiseResult) -> dict[str, Any]:
    return {
        "analysis": label,
        "n": n,
        "delta_cost": result.delta_cost,
        "delta_qalys": result.delta_effect,
        "icer": result.icer,
        "inmb_20000": result.inmb(20_000),
        "inmb_30000": result.inmb(30_000),
    }


def _costs_by_arm(people: pd.DataFrame) -> pd.DataFrame:
    """Mean discounted costs, earnings, employment and QALYs by arm (complete cases)."""
    columns = [
        "cost_nhs",
        "cost_intervention",
        "cost_benefits",
        "productivity",
        "employed_days",
        "cost",
        "qaly",
    ]
    grouped = people.groupby("treated")[columns]
    table = (
        grouped.mean()
        .add_prefix("mean_")
        .join(grouped.count()[["cost"]].rename(columns={"cost": "n"}))
    )
    table.index = table.index.map({0: "comparison home", 1: "designed-for-health home"})
    table.index.name = "arm"
    table.insert(0, "population", "complete cases")
    return table


def _cheers(
    config: PilotEconomics, result: WithinStudyResult, released: int, complete: int
) -> pd.DataFrame:
    table = config.unit_costs
    reported = {
        5: f"Tenants in the pilot's release ({released}); {sum(result.arm_sizes.values())} "
        f"analysed, {complete} with complete costs and EQ-5D over the horizon.",
        6: "UK social housing; the platform's linked housing, employment and health records.",
        7: "Designed-for-health home (reference) versus a comparison home (comparator).",
        8: f"{PERSPECTIVES[config.perspective]}; scenario: public sector (adding sickness "
        "benefit paid) plus productivity (earnings, human-capital approach).",
        9: f"{config.horizon_months} months of observed follow-up.",
        10: f"{config.discount.costs:.1%} for costs and {config.discount.effects:.1%} for QALYs "
        "a year, factor 1/(1+r)^t.",
        11: "QALYs (EQ-5D), the NICE reference-case outcome.",
        12: "EQ-5D-5L at baseline and in each follow-up period from linked records.",
        13: config.valuer.description,
        14: "Emergency admissions, A&E attendances and GP consultations from linked records, "
        f"times unit costs (table {table.version}, status {table.status}); "
        + config.intervention.describe(),
        15: f"{table.currency}, price year {table.price_year}; re-based with the NHSCII.",
        16: "No decision model: a within-study analysis of the pilot's observed follow-up.",
        17: f"{result.method}; cost and QALYs regressed on treatment, adjusted for baseline "
        "cost / utility, age, sex, deprivation, long-term conditions and employment.",
        20: f"Paired, arm-stratified bootstrap ({result.bootstrap.delta_cost.size} replicates, "
        f"seed {result.bootstrap.seed}): CE plane and CEAC; multiple imputation; perspective "
        "scenario.",
        22: "Unit costs with sources and price year in the unit-cost table; intervention "
        "cost assumptions in item 14; EQ-5D valuation in item 13.",
        23: result.summary(),
        24: "See the CE plane, the CEAC and the net-benefit table.",
    }
    not_applicable = {
        19: "Distributional cost-effectiveness analysis was not part of the pilot's plan.",
    }
    return pd.DataFrame(checklist(reported, not_applicable))


def evaluate_pilot(
    persons: pd.DataFrame,
    panel: pd.DataFrame,
    config: PilotEconomics | None = None,
    run: EconomicsRun | None = None,
) -> AnalysisResult:
    """Primary analysis (MI when data are missing), complete cases, perspective scenario."""
    config = config or PilotEconomics()
    run = run or EconomicsRun()
    spec = _spec(run)
    persons, panel = canonical_release(persons, panel)
    people = person_level(persons, panel, config)
    needed = ["treated", "cost", "qaly", "baseline_cost", "baseline_utility", *COVARIATES]
    complete = people.dropna(subset=needed)
    complete_case = analyse_trial(complete, spec)
    productivity = replace(config, perspective=Perspective.PUBLIC_SECTOR_PRODUCTIVITY)
    scenario = analyse_trial(
        add_totals(complete, productivity),
        replace(
            spec,
            replicates=min(run.replicates, 1_000),
            seed=seed_for(run, "bootstrap:public_sector_productivity"),
        ),
    )
    primary, primary_label = complete_case, "primary: NHS and PSS, complete cases"
    scenarios = []
    periods = config.periods()
    if run.impute and len(complete) < len(people):
        components = [
            "baseline_utility",
            *(f"cost_p{p}" for p in periods),
            *(f"utility_p{p}" for p in periods),
        ]
        keep = [
            "treated",
            "baseline_cost",
            "cost_intervention",
            "cost_benefits",
            "productivity",
            *COVARIATES,
        ]
        frame = people[[*keep, *components]].dropna(subset=["baseline_cost", *COVARIATES])
        missing = [c for c in components if frame[c].isna().any()]

        def impute_with(totals_config: PilotEconomics, **extra: Any) -> ImputedResult:
            # Same frame and seed each time, so the same completed data sets; only the
            # totals (which costs count) differ.
            return imputed_sur(
                frame,
                lambda f: add_totals(f, totals_config),
                spec,
                impute=missing,
                n_imputations=run.imputations,
                n_burnin=run.burn_in,
                n_skip=run.skip,
                seed=seed_for(run, "imputation"),
                **extra,
            )

        imputed = impute_with(config, bootstrap_replicates=run.replicates)
        primary = imputed.to_within_study(spec)
        primary_label = f"primary: NHS and PSS, multiple imputation (m = {run.imputations})"
        scenarios.append(_scenario(primary_label, len(frame), primary.comparison))
        public = impute_with(productivity)
        scenarios.append(
            _scenario(
                f"scenario: public sector plus productivity, multiple imputation "
                f"(m = {run.imputations})",
                len(frame),
                compare(public.delta_cost.estimate, public.delta_effect.estimate),
            )
        )
        primary_label = "sensitivity: complete cases"
    scenarios.append(_scenario(primary_label, len(complete), complete_case.comparison))
    scenarios.append(
        _scenario(
            "scenario: public sector plus productivity, complete cases",
            len(complete),
            scenario.comparison,
        )
    )

    thresholds = list(spec.thresholds)
    sdc = {
        name: _model_sdc("SUR (primary)", primary)
        for name in ("economics_increments", "economics_net_benefit", "economics_ceac",
                     "economics_scenarios")
    }  # fmt: skip
    settings = {
        **primary.settings(),
        "perspective": config.perspective.value,
        "horizon_months": config.horizon_months,
        "periods": {p: PERIOD_MONTHS[p] for p in periods},
        "discount_rates": {"costs": config.discount.costs, "effects": config.discount.effects},
        "unit_costs": {"version": config.unit_costs.version, "status": config.unit_costs.status,
                       "price_year": config.unit_costs.price_year},
        "intervention_costs": config.intervention.describe(),
        "eq5d": config.valuer.description,
        "people": {
            "released": len(people),
            "complete_cases": len(complete),
            "analysed": sum(primary.arm_sizes.values()),
        },
        "model": primary.model_table.to_dict(orient="records"),
    }  # fmt: skip
    result = AnalysisResult(
        name="economics",
        summary=primary.summary(),
        tables={
            "economics_increments": primary.increments(),
            "economics_net_benefit": primary.net_benefit(),
            "economics_ceac": primary.ceac(),
            "economics_scenarios": pd.DataFrame(scenarios),
            "economics_costs_by_arm": _costs_by_arm(complete),
            "economics_unit_costs": config.unit_costs.sources(),
            "economics_cheers": _cheers(config, primary, len(people), len(complete)),
        },
        figures={
            "economics_ce_plane": ce_plane(
                primary.bootstrap, (primary.delta_cost, primary.delta_effect), thresholds
            ),
            "economics_ceac": ceac_plot(primary.ceac(), thresholds),
        },
        models={"economics_settings": settings, SDC_FILE: sdc},
    )
    if run.lifetime:
        lifetime = run_lifetime(
            pilot_inputs(people, persons, panel, config),
            samples=run.lifetime_samples,
            seed=seed_for(run, "psa:lifetime"),
            thresholds=tuple(float(k) for k in spec.thresholds),
        )
        _add_lifetime(result, primary, lifetime, config, tuple(spec.thresholds))
    return result


def _within_study_summary(
    primary: WithinStudyResult, config: PilotEconomics, thresholds: tuple[float, ...]
) -> dict[str, float]:
    within = {
        "delta_cost": primary.delta_cost,
        "delta_qalys": primary.delta_effect,
        "icer": float("nan") if primary.comparison.icer is None else primary.comparison.icer,
        "horizon_months": float(config.horizon_months),
    }
    for k in thresholds:
        inmb = primary.bootstrap.inmb(k)
        within[f"probability_{k:.0f}"] = float((inmb > 0).mean())
        within[f"evpi_{k:.0f}"] = float(np.maximum(inmb, 0).mean() - max(inmb.mean(), 0.0))
    return within


def _add_lifetime(
    result: AnalysisResult,
    primary: WithinStudyResult,
    lifetime: LifetimeResult,
    config: PilotEconomics,
    thresholds: tuple[float, ...],
) -> None:
    """The lifetime model's tables and figure, and the side-by-side table, into the bundle."""
    within = _within_study_summary(primary, config, thresholds)
    comparison = side_by_side(within, lifetime, thresholds)
    result.tables["economics_lifetime_results"] = lifetime.base_case
    result.tables["economics_lifetime_parameters"] = lifetime.inputs.table(lifetime.spec)
    result.tables["economics_lifetime_ceac"] = lifetime.ceac
    result.tables["economics_lifetime_evppi"] = lifetime.evppi
    result.tables["economics_within_study_and_lifetime"] = comparison
    result.figures["economics_lifetime_ceac"] = lifetime_ceac_plot(lifetime, thresholds)
    settings = result.models["economics_settings"]
    settings["lifetime"] = lifetime.settings()
    k = thresholds[0]
    result.summary += (
        f"\nOver a lifetime (cohort model from age {lifetime.spec.start_age:g}, the pilot's "
        f"effects carried in): incremental cost {lifetime.delta_cost:,.2f} and QALYs "
        f"{lifetime.delta_effect:.4f}, {_ratio(lifetime.delta_cost, lifetime.delta_effect)}; "
        f"probability cost-effective at {k:,.0f} per QALY "
        f"{float(lifetime.at(k)['probability_cost_effective']):.2f}, EVPI "
        f"{float(lifetime.at(k)['evpi']):,.2f} per person."
    )


def _ratio(delta_cost: float, delta_effect: float) -> str:
    """The ICER where it means something (NE, SW), else the quadrant: a negative ratio
    would read as a price per QALY when one strategy simply dominates the other."""
    compared = compare(delta_cost, delta_effect)
    if compared.icer is None:
        return f"the reference arm {compared.quadrant.value}"
    return f"an ICER of {_money(compared.icer)} per QALY"


def _money(value: float) -> str:
    return "not defined" if not np.isfinite(value) else f"{value:,.0f}"


def write_bundle(result: AnalysisResult, out: Path, release_id: str, manifest_sha256: str) -> Path:
    """Write the bundle atomically with a ``bundle.json`` naming the release it came from."""
    with atomic_directory(out, replace=True) as folder:
        written = result.to_bundle(folder)
        files = {p.relative_to(folder).as_posix(): sha256_file(p) for p in written}
        manifest = {
            "analysis": "economics",
            "release_id": release_id,
            "release_manifest_sha256": manifest_sha256,
            "files": files,
        }
        atomic_write_text(folder / "bundle.json", to_json(manifest))
    return out
