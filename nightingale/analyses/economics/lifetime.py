"""The pilot over a lifetime: within-study effects carried into the Markov cohort model.

The within-study analysis sees at most four years. A home lasts sixty, and a decision
maker asks what it is worth over the tenants' lifetimes. This module estimates, on the
release, what the cohort model ``examples/dfh_pilot_lifetime.yaml`` needs, and runs it:

- **effects** of the home, weighted to the treated population (ATT weights from a
  logistic propensity model of the baseline covariates), with their uncertainty:
  the rate ratio of emergency admissions (Poisson, log time-at-risk offset, covariate
  adjusted, standard errors by person), the hazard ratio of death (Cox) and the EQ-5D
  utility gain (covariate-adjusted mean difference over the follow-up questionnaires);
- **the comparison arm's** emergency admission rate, A&E and GP cost per person-year
  and EQ-5D utility (ATT-weighted controls: what the treated would have had);
- **fixed inputs**: the unit cost of an admission and the home's annual cost per
  person (the within-study settings), and the start age (the treated's mean age),
  set with :func:`~.markov.spec.with_fixed` / :func:`~.markov.spec.with_estimated`.

The effects enter the PSA as lognormal (ratios) and normal (utility gain) distributions
from their estimates and standard errors, the comparison arm's rates as gamma and beta
distributions; the model's stated assumptions keep the distributions the model file
gives them. The PSA gives the lifetime ICER's uncertainty, the CEAC and the EVPI, and
:mod:`.evppi` the value of learning each group of parameters.

Every random draw comes from a seed derived from the economics run's seed and the
purpose (``psa:lifetime``); the estimates come from canonical-order frames, so the
lifetime results too are the same under any pseudonym key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nightingale.analyses._design import varying
from nightingale.analyses.counts import rate_ratio
from nightingale.analyses.economics.ceac import decision_uncertainty
from nightingale.analyses.economics.evppi import evppi_table
from nightingale.analyses.economics.markov.distributions import Distribution
from nightingale.analyses.economics.markov.run import PSAResults, run_base_case, run_psa
from nightingale.analyses.economics.markov.spec import (
    ModelSpec,
    Parameter,
    load_model,
    with_estimated,
    with_fixed,
)
from nightingale.analyses.economics.pilot import COVARIATES, PilotEconomics
from nightingale.analyses.linear import mean_difference
from nightingale.analyses.propensity import estimate_propensity
from nightingale.analyses.survival import cox_hazard_ratio
from nightingale.analyses.weighting import ipw_weights
from nightingale.platform.errors import NightingaleError

MODEL_PATH = Path(__file__).with_name("examples") / "dfh_pilot_lifetime.yaml"
LAST_AGE = 100
MIN_DEATHS_PER_ARM = 5
UNCERTAIN_HR_SDLOG = 0.5
"""With fewer deaths than this in an arm, no hazard ratio is estimated: the PSA draws
a ratio centred on 1 with this spread of its log (95% range about 0.38 to 2.7)."""
EVPPI_GROUPS: dict[str, tuple[str, ...]] = {
    "all effects of the home": ("rr_admission", "hr_death", "u_gain"),
    "utility gain": ("u_gain",),
    "effect on mortality": ("hr_death",),
    "effect on admissions": ("rr_admission",),
    "comparison arm's rates and costs": ("r_admission", "c_other", "u_home"),
    "assumptions (admission's utility loss and mortality)": ("du_admitted", "hr_death_admitted"),
}
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Estimated:
    """One input estimated on the release: value, standard error and how it enters."""

    value: float
    std_error: float
    kind: str  # "ratio" (lognormal; std_error of the log), "normal", "rate" (gamma), "utility"
    note: str = ""

    def distribution(self) -> Distribution:
        if self.kind == "ratio":
            return Distribution(type="lognormal", meanlog=np.log(self.value), sdlog=self.std_error)
        if self.kind == "normal":
            return Distribution(type="normal", mean=self.value, sd=self.std_error)
        if self.kind == "rate":
            return Distribution(type="gamma", mean=self.value, sd=self.std_error)
        return Distribution(type="beta", mean=self.value, sd=self.std_error)


@dataclass(frozen=True)
class PilotInputs:
    """What the release says, for the lifetime model."""

    start_age: float
    estimated: dict[str, Estimated]
    fixed: dict[str, float]
    treated: int
    comparison: int

    def table(self, spec: ModelSpec) -> pd.DataFrame:
        """Every model parameter: value, distribution, and where it comes from."""
        rows = []
        for name, parameter in spec.parameters.items():
            if name.startswith("arm_"):
                continue
            if name in self.estimated:
                source = "the pilot's release" + (
                    f" ({self.estimated[name].note})" if self.estimated[name].note else ""
                )
            elif name in self.fixed:
                source = "economics settings"
            else:
                source = "model file (assumption)"
            distribution = parameter.distribution
            rows.append(
                {
                    "parameter": name,
                    "description": parameter.description,
                    "value": parameter.value,
                    "distribution": "" if distribution is None else _describe(distribution),
                    "source": source,
                }
            )
        return pd.DataFrame(rows)


def _describe(distribution: Distribution) -> str:
    a, b = distribution.natural()
    return f"{distribution.type}({a:.4g}, {b:.4g})"


def _weights(people: pd.DataFrame) -> tuple[pd.Series, list[str]]:
    """ATT weights from a propensity model of the baseline covariates (gaps filled)."""
    frame = people
    covariates = [*COVARIATES, "baseline_cost", "baseline_utility"]
    for name in list(covariates):
        missing = frame[name].isna()
        if missing.any():
            frame[name] = frame[name].fillna(float(frame[name].mean()))
            indicator = missing.astype(int)
            # One indicator per pattern: people without a GP registration lack both IMD
            # and long-term conditions, and two equal columns make the design singular.
            same = any(frame[c].equals(indicator) for c in covariates if c.endswith("_missing"))
            if missing.sum() < len(frame) and not same:
                frame[f"{name}_missing"] = indicator
                covariates.append(f"{name}_missing")
    covariates = [c for c in covariates if frame[c].nunique() > 1]
    scores = estimate_propensity(frame, "treated", covariates)
    weights = ipw_weights(scores.scores, frame["treated"], "ATT", stabilise=True)
    return weights, covariates


def pilot_inputs(
    people: pd.DataFrame,
    persons: pd.DataFrame,
    panel: pd.DataFrame,
    config: PilotEconomics,
) -> PilotInputs:
    """Estimate the lifetime model's inputs on the release (canonical-order frames).

    ``people`` is :func:`~.pilot.person_level`'s frame, ``persons`` and ``panel`` the
    release's (all follow-up periods are used for the effects: the more years, the
    better the lifetime model is informed).
    """
    people = people.set_index("pid").copy()
    weights, covariates = _weights(people)
    people["ipw"] = weights
    treated = people["treated"] == 1
    rows = panel[panel["time_at_risk_days"] > 0].merge(
        people[["treated", "ipw", *covariates]], left_on="pid", right_index=True
    )
    rows["utility"] = config.valuer.value_series(rows["eq5d"])
    controls = rows[rows["treated"] == 0]
    years = controls["time_at_risk_days"] / YEAR_DAYS
    weight = controls["ipw"]
    admissions = float((weight * controls["emergency_admissions"]).sum())
    exposure = float((weight * years).sum())
    if exposure <= 0:
        raise NightingaleError("lifetime model: the comparison arm has no time at risk")
    r_admission = admissions / exposure
    unit = config.unit_costs
    other = controls["ae_attendances"] * unit.cost_of("ae_attendance") + controls[
        "gp_consultations"
    ] * unit.cost_of("gp_consultation")
    c_other = float((weight * other).sum()) / exposure
    raw_events = max(int(controls["emergency_admissions"].sum()), 1)
    per_person = other.groupby(controls["pid"]).sum() / years.groupby(controls["pid"]).sum()
    answered = controls.dropna(subset=["utility"])
    u_home = float(np.average(answered["utility"], weights=answered["ipw"]))
    u_sd = float(answered.groupby("pid")["utility"].mean().std()) / np.sqrt(
        max(answered["pid"].nunique(), 1)
    )

    admitted = rate_ratio(
        rows, "emergency_admissions", "treated", "time_at_risk_days", varying(rows, covariates),
        cluster="pid", weights="ipw",
    ).tables["estimates"].iloc[0]  # fmt: skip
    questionnaires = rows.dropna(subset=["utility"])
    gain = mean_difference(
        questionnaires, "utility", "treated", varying(questionnaires, covariates),
        weights="ipw", cluster="pid",
    ).tables["estimates"].iloc[0]  # fmt: skip
    estimated = {
        "r_admission": Estimated(r_admission, r_admission / np.sqrt(raw_events), "rate"),
        "c_other": Estimated(
            c_other, max(float(per_person.std()) / np.sqrt(len(per_person)), 1e-6), "rate"
        ),
        "u_home": Estimated(u_home, max(u_sd, 1e-4), "utility"),
        "rr_admission": Estimated(
            float(admitted["estimate"]), float(admitted["std_error"]), "ratio"
        ),
        "u_gain": Estimated(float(gain["estimate"]), float(gain["std_error"]), "normal"),
        "hr_death": _death_ratio(people, persons),
    }
    ages = people.loc[treated, "age"].dropna()
    return PilotInputs(
        start_age=float(ages.mean()) if len(ages) else 50.0,
        estimated=estimated,
        fixed={
            "c_admission": unit.cost_of("emergency_admission"),
            "c_intervention": config.intervention.annual_cost_per_person,
        },
        treated=int(treated.sum()),
        comparison=int((~treated).sum()),
    )


def _death_ratio(people: pd.DataFrame, persons: pd.DataFrame) -> Estimated:
    """Hazard ratio of death (weighted Cox), or 1 with wide uncertainty if deaths are few."""
    frame = persons.set_index("pid")[["died", "followup_days"]].join(people[["treated", "ipw"]])
    frame = frame.assign(days=frame["followup_days"].clip(lower=1).astype(float))
    deaths = frame.groupby("treated")["died"].sum()
    if deaths.min() < MIN_DEATHS_PER_ARM or len(deaths) < 2:
        return Estimated(
            1.0, UNCERTAIN_HR_SDLOG, "ratio",
            f"fewer than {MIN_DEATHS_PER_ARM} deaths in an arm: no effect, wide uncertainty",
        )  # fmt: skip
    row = cox_hazard_ratio(frame, "days", "died", "treated", weights="ipw").tables["estimates"]
    value, std_error = float(row.iloc[0]["estimate"]), float(row.iloc[0]["std_error"])
    if not (np.isfinite(value) and value > 0 and np.isfinite(std_error) and std_error > 0):
        return Estimated(
            1.0, UNCERTAIN_HR_SDLOG, "ratio", "the Cox model gave no usable interval: no effect"
        )
    return Estimated(value, std_error, "ratio")


def lifetime_spec(inputs: PilotInputs, path: Path = MODEL_PATH) -> tuple[ModelSpec, Path]:
    """The model file with the pilot's estimates, fixed inputs and start age in place."""
    spec, folder = load_model(path)
    spec = with_fixed(spec, inputs.fixed)
    spec = with_estimated(
        spec,
        {
            name: Parameter(
                value=e.value,
                distribution=e.distribution(),
                description=spec.parameters[name].description,
            )
            for name, e in inputs.estimated.items()
        },
    )
    age = round(inputs.start_age, 1)
    return spec.model_copy(
        update={"start_age": age, "cycles": max(int(np.ceil(LAST_AGE - age)), 1)}
    ), folder


@dataclass(frozen=True)
class LifetimeResult:
    """Base case, PSA, CEAC, EVPI and EVPPI of the lifetime model."""

    spec: ModelSpec
    inputs: PilotInputs
    base_case: pd.DataFrame
    psa: PSAResults
    ceac: pd.DataFrame
    evppi: pd.DataFrame

    @property
    def delta_cost(self) -> float:
        return float(self.base_case["cost"].iloc[1] - self.base_case["cost"].iloc[0])

    @property
    def delta_effect(self) -> float:
        return float(self.base_case["qalys"].iloc[1] - self.base_case["qalys"].iloc[0])

    @property
    def icer(self) -> float:
        return self.delta_cost / self.delta_effect if self.delta_effect else float("nan")

    def at(self, threshold: float) -> dict[str, float]:
        """Probability cost-effective and EVPI at one threshold of the grid."""
        row = self.ceac[self.ceac["threshold"] == float(threshold)].iloc[0]
        return {"probability_cost_effective": float(row["probability_cost_effective"]),
                "evpi": float(row["evpi"])}  # fmt: skip

    def settings(self) -> dict[str, Any]:
        return {
            "model": self.spec.name,
            "start_age": self.spec.start_age,
            "cycles": self.spec.cycles,
            "correction": self.spec.correction.value,
            "discount": {"costs": self.spec.discount.costs, "effects": self.spec.discount.effects},
            "psa_samples": int(self.psa.costs.shape[0]),
            "psa_seed": self.spec.psa.seed,
            "estimated": {k: asdict(v) for k, v in self.inputs.estimated.items()},
            "fixed": self.inputs.fixed,
            "evppi_method": "regression metamodel (Strong et al. 2014): restricted cubic "
            "splines per parameter with pairwise interactions",
        }


def run_lifetime(
    inputs: PilotInputs,
    *,
    samples: int,
    seed: int,
    thresholds: tuple[float, ...] = (20_000.0, 30_000.0),
) -> LifetimeResult:
    """Base case, PSA (``samples`` draws from ``seed``), CEAC, EVPI and EVPPI."""
    spec, folder = lifetime_spec(inputs)
    spec = spec.model_copy(update={"psa": spec.psa.model_copy(update={"seed": seed})})
    base = run_base_case(spec, folder)
    base_case = pd.DataFrame(
        {
            "strategy": [o.name for o in base.outcomes],
            "cost": [float(o.costs[0]) for o in base.outcomes],
            "qalys": [float(o.effects[0]) for o in base.outcomes],
        }
    )
    grid = np.unique(np.concatenate([np.arange(0.0, 100_001.0, 1_000.0), thresholds]))
    psa = run_psa(spec, folder, samples=samples, seed=seed, thresholds=grid)
    uncertainty = decision_uncertainty(psa.costs, psa.effects, grid)
    ceac = pd.DataFrame(
        {
            "threshold": grid,
            "probability_cost_effective": uncertainty.ceac[:, 1],
            "evpi": uncertainty.evpi,
        }
    )
    groups = {
        name: [p for p in group if p in psa.parameters.columns]
        for name, group in EVPPI_GROUPS.items()
    }
    evppi = evppi_table(psa.costs, psa.effects, psa.parameters, groups, list(thresholds))
    return LifetimeResult(spec, inputs, base_case, psa, ceac, evppi)


def side_by_side(
    within: dict[str, float], lifetime: LifetimeResult, thresholds: tuple[float, ...]
) -> pd.DataFrame:
    """Within-study and lifetime results in one table (rows: quantities)."""
    rows: list[dict[str, Any]] = [
        {"quantity": "incremental cost", "within_study": within["delta_cost"],
         "lifetime": lifetime.delta_cost},
        {"quantity": "incremental QALYs", "within_study": within["delta_qalys"],
         "lifetime": lifetime.delta_effect},
        {"quantity": "ICER (cost per QALY)", "within_study": within["icer"],
         "lifetime": lifetime.icer},
    ]  # fmt: skip
    for k in thresholds:
        at = lifetime.at(k)
        rows.append(
            {
                "quantity": f"probability cost-effective at {k:,.0f}",
                "within_study": within.get(f"probability_{k:.0f}", float("nan")),
                "lifetime": float(at["probability_cost_effective"]),
            }
        )
        rows.append(
            {
                "quantity": f"EVPI per person at {k:,.0f}",
                "within_study": within.get(f"evpi_{k:.0f}", float("nan")),
                "lifetime": float(at["evpi"]),
            }
        )
    table = pd.DataFrame(rows)
    table.insert(1, "horizon_within_study", f"{within['horizon_months']:.0f} months")
    table.insert(2, "horizon_lifetime", f"to age {LAST_AGE}")
    return table


def lifetime_ceac_plot(result: LifetimeResult, marks: tuple[float, ...]) -> Figure:
    """The lifetime model's CEAC and EVPI against the threshold."""
    figure = Figure(figsize=(6.4, 4.0))
    ax = figure.subplots()
    ax.plot(result.ceac["threshold"], result.ceac["probability_cost_effective"], color="#4c72b0")
    for k in marks:
        ax.axvline(k, color="0.6", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Willingness to pay per QALY (GBP)")
    ax.set_ylabel("Probability cost-effective (lifetime)")
    twin = ax.twinx()
    twin.plot(result.ceac["threshold"], result.ceac["evpi"], color="#dd8452", linestyle="--")
    twin.set_ylabel("EVPI per person (GBP)")
    ax.set_title("Lifetime model: acceptability curve and EVPI")
    figure.tight_layout()
    return figure
