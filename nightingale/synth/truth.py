"""The truth kept aside: who everyone really is, the pilot, and the effects it had.

Realised effects are tallied chunk by chunk from the treated people's outcomes in both
worlds (with and without the designed-for-health home, on the same random draws), over
each treated person's follow-up, and written to ``truth/effects.json`` at the end next
to the structural parameters that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import CONDITIONS, SynthConfig
from nightingale.synth.dates import ISO, format_days
from nightingale.synth.eq5d import utilities, value_set
from nightingale.synth.events import Events
from nightingale.synth.formatting import blank_where, person_ids
from nightingale.synth.geography import DISTRICTS
from nightingale.synth.population import NEVER
from nightingale.synth.world import World, effect_months
from nightingale.synth.writer import CsvFiles

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]


@dataclass
class EffectTally:
    """Running sums over treated follow-up, observed and counterfactual."""

    sums: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.sums[name] = self.sums.get(name, 0.0) + float(value)

    def get(self, name: str) -> float:
        return self.sums.get(name, 0.0)


#: Event kinds with a cause per event, and the all-cause outcome they make up.
CAUSE_OUTCOMES = {"emergency": "emergency_admissions", "gp": "gp_consultations"}
#: Condition-specific outcomes: name -> (all-cause outcome, condition, effect parameter,
#: how the extracts define it).
CONDITION_OUTCOMES: dict[str, tuple[str, str, str | None, str]] = {
    "respiratory_admissions": (
        "emergency_admissions",
        "respiratory",
        "respiratory_admissions_rate_ratio",
        "emergency admissions with diag_primary J00-J99",
    ),
    "falls_admissions": (
        "emergency_admissions",
        "falls",
        "falls_admissions_rate_ratio",
        "emergency admissions with diag_secondary W00-W19 (a fall; the primary is the injury)",
    ),
    "cardiovascular_admissions": (
        "emergency_admissions",
        "cardiovascular",
        None,
        "emergency admissions with diag_primary I20-I25 or I60-I69",
    ),
    "mental_health_admissions": (
        "emergency_admissions",
        "mental_health",
        None,
        "emergency admissions with diag_primary F00-F99",
    ),
    "mental_health_contacts": (
        "gp_consultations",
        "mental_health",
        "mental_health_contacts_rate_ratio",
        "GP consultations whose snomed_code is a mental health concept (snomedct.csv)",
    ),
}


def _in_followup(events: Events, world: World) -> npt.NDArray[np.bool_]:
    cohort, n = world.cohort, len(world.people)
    treated = cohort.person_mask(n)
    start = cohort.per_person(cohort.index_day, n)
    end = cohort.per_person(cohort.followup_end, n)
    return (
        treated[events.person]
        & (events.day >= start[events.person])
        & (events.day < end[events.person])
    )


def tally(world: World, sums: EffectTally) -> None:
    """Add one chunk's treated outcomes in both worlds to the tally."""
    for kind, outcome in (
        ("emergency", "emergency_admissions"),
        ("ae", "ae_attendances"),
        ("gp", "gp_consultations"),
    ):
        sums.add(f"{outcome}.observed", _in_followup(world.events[kind], world).sum())
        sums.add(f"{outcome}.counterfactual", _in_followup(world.untreated[kind], world).sum())
    for kind, outcome in CAUSE_OUTCOMES.items():
        for label, source in (("observed", world.events), ("counterfactual", world.untreated)):
            events = source[kind]
            cause = np.asarray(events.columns["condition"], dtype=np.int64)
            counts = np.bincount(cause[_in_followup(events, world)], minlength=len(CONDITIONS))
            for condition, count in zip(CONDITIONS, counts, strict=True):
                sums.add(f"{outcome}.{condition}.{label}", count)
    for label, source in (("observed", world.events), ("counterfactual", world.untreated)):
        for kind in ("emergency", "elective"):
            events = source[kind]
            inside = _in_followup(events, world)
            sums.add(f"bed_days.{label}", events.columns["length_of_stay"][inside].sum())

    answers = world.questionnaires
    follow = answers.treated_followup
    sums.add(
        "eq5d.difference",
        (utilities(answers.levels[follow]) - utilities(answers.counterfactual[follow])).sum(),
    )
    sums.add("eq5d.responses", follow.sum())

    cohort, work = world.cohort, world.work
    treated = cohort.treated
    rows = cohort.person[treated]
    inside = followup_month_mask(world)[treated]
    observed = work.employed[rows] & inside
    counterfactual = world.counterfactual_employed & inside
    pay = work.monthly_pay[rows, None] * np.exp(world.pay_noise[rows])
    eligible_claim = (
        work.eligible[rows] & work.claimant[rows, None] & work.sickness[rows, None] & inside
    )
    sums.add("months", inside.sum())
    sums.add("employed.observed", observed.sum())
    sums.add("employed.counterfactual", counterfactual.sum())
    sums.add("earnings.observed", (pay * observed).sum())
    sums.add("earnings.counterfactual", (pay * counterfactual).sum())
    sums.add("sickness.observed", (eligible_claim & ~work.employed[rows]).sum())
    sums.add("sickness.counterfactual", (eligible_claim & ~world.counterfactual_employed).sum())
    sums.add("treated", int(treated.sum()))
    sums.add("comparison", int((~cohort.treated).sum()))


def followup_month_mask(world: World) -> npt.NDArray[np.bool_]:
    """(cohort member, month) cells inside follow-up: after the index month, before the end."""
    cohort, work = world.cohort, world.work
    first, _ = effect_months(work, cohort)
    _, cap = effect_months(work, replace(cohort, effect_end=cohort.followup_end))
    columns = np.arange(work.employed.shape[1])
    return (columns[None, :] >= first[:, None]) & (columns[None, :] < cap[:, None])


def write_people(
    config: SynthConfig, world: World, nhs: ObjectArray, ni: ObjectArray, truth: CsvFiles
) -> None:
    """``truth/people.csv`` rows of one chunk."""
    people, homes, geo = world.people, world.homes, world.geography
    ids = person_ids(people.global_index)
    unit = homes.postcode[people.household, 0]
    lsoa = geo.postcode_lsoa[unit]
    leaves = homes.leaves_region()[people.household]
    twin = blank_where(people.twin_of < 0, ids[np.maximum(people.twin_of, 0)])
    parent = blank_where(people.same_name_parent < 0, ids[np.maximum(people.same_name_parent, 0)])
    truth.append(
        "truth/people.csv",
        {
            "person_id": ids,
            "household_id": np.char.add(
                "H",
                np.char.zfill((world.chunk * config.chunk_size + people.household).astype(str), 8),
            ),
            "forename": people.forename,
            "surname": people.surname,
            "birth_surname": people.birth_surname,
            "date_of_birth": format_days(people.dob, ISO),
            "sex": np.where(people.female, "F", "M"),
            "nhs_number": nhs,
            "ni_number": ni,
            "district": np.array([d.name for d in DISTRICTS], dtype=object)[
                geo.lsoa_district[lsoa]
            ],
            "lsoa_code": geo.lsoa_code[lsoa],
            "imd_decile": geo.lsoa_imd[lsoa],
            "ltc_count": people.ltc,
            "frailty": np.char.mod("%.4f", people.frailty),
            "date_of_death": format_days(
                np.minimum(people.death, NEVER - 1) * (people.death < NEVER),
                ISO,
                people.death >= NEVER,
            ),
            "left_region_date": format_days(
                np.where(leaves < NEVER, leaves, 0), ISO, leaves >= NEVER
            ),
            "twin_of": twin,
            "same_name_parent": parent,
        },
    )


def write_pilot(world: World, tenancy_refs: dict[int, str], truth: CsvFiles) -> None:
    """``truth/pilot.csv`` rows of one chunk, with each person's employment in both worlds."""
    cohort, people = world.cohort, world.people
    inside = followup_month_mask(world)
    observed = world.work.employed[cohort.person] & inside
    counterfactual = observed.copy()
    counterfactual[cohort.treated] = world.counterfactual_employed & inside[cohort.treated]
    truth.append(
        "truth/pilot.csv",
        {
            "person_id": person_ids(people.global_index[cohort.person]),
            "tenancy_ref": np.array(
                [tenancy_refs.get(int(h)) for h in cohort.household], dtype=object
            ),
            "group": np.where(cohort.treated, "designed_for_health", "standard"),
            "index_date": format_days(cohort.index_day, ISO),
            "propensity": np.char.mod("%.6f", cohort.propensity),
            "followup_end": format_days(cohort.followup_end - 1, ISO),
            "followup_end_reason": cohort.end_reason,
            "followup_months": inside.sum(axis=1),
            "employed_months": observed.sum(axis=1),
            "employed_months_counterfactual": counterfactual.sum(axis=1),
        },
    )


def effects_document(config: SynthConfig, sums: EffectTally) -> dict[str, Any]:
    """The content of ``truth/effects.json``."""

    def ratio(name: str) -> float | None:
        cf = sums.get(f"{name}.counterfactual")
        return None if cf == 0 else round(sums.get(f"{name}.observed") / cf, 6)

    def per_month(name: str) -> float | None:
        months = sums.get("months")
        if months == 0:
            return None
        return round(
            (sums.get(f"{name}.observed") - sums.get(f"{name}.counterfactual")) / months, 6
        )

    eff = config.effects
    responses = sums.get("eq5d.responses")
    effects = {
        "emergency_admissions": {
            "scale": "rate_ratio",
            "parameter": eff.emergency_admissions_rate_ratio,
            "realised_att": ratio("emergency_admissions"),
        },
        "ae_attendances": {
            "scale": "rate_ratio",
            "parameter": eff.ae_attendances_rate_ratio,
            "realised_att": ratio("ae_attendances"),
        },
        "gp_consultations": {
            "scale": "rate_ratio",
            "parameter": eff.gp_consultations_rate_ratio,
            "realised_att": ratio("gp_consultations"),
        },
        "bed_days": {
            "scale": "rate_ratio",
            "parameter": None,
            "realised_att": ratio("bed_days"),
            "note": "not targeted directly: follows from fewer emergency admissions",
        },
        "eq5d": {
            "scale": "difference",
            "parameter": eff.eq5d_severity_shift,
            "parameter_meaning": "reduction of the latent EQ-5D severity at follow-up",
            "realised_att": None
            if responses == 0
            else round(sums.get("eq5d.difference") / responses, 6),
            "unit": "utility (synthetic additive value set) per follow-up questionnaire",
        },
        "employed_days": {
            "scale": "difference",
            "parameter": eff.job_finding_hazard_ratio,
            "parameter_meaning": "monthly job-finding hazard ratio while in the home",
            "realised_att": per_month("employed"),
            "unit": "share of follow-up days employed",
        },
        "earnings": {
            "scale": "difference",
            "parameter": eff.job_finding_hazard_ratio,
            "realised_att": per_month("earnings"),
            "unit": "GBP per follow-up month",
        },
        "sickness_benefit_days": {
            "scale": "difference",
            "parameter": eff.job_finding_hazard_ratio,
            "realised_att": per_month("sickness"),
            "unit": "share of follow-up days on a sickness-related benefit",
        },
    }
    for name, (outcome, condition, parameter, definition) in CONDITION_OUTCOMES.items():
        effects[name] = {
            "scale": "rate_ratio",
            "parameter": None if parameter is None else getattr(eff, parameter),
            "realised_att": ratio(f"{outcome}.{condition}"),
            "definition": definition,
            **(
                {}
                if parameter
                else {"note": "not targeted: the rate ratio of the causes not named, which "
                      "keeps the all-cause ratio at its parameter"}
            ),
        }  # fmt: skip
    return {
        "effects": effects,
        "causes": {
            outcome: {
                condition: {
                    label: int(sums.get(f"{outcome}.{condition}.{label}"))
                    for label in ("observed", "counterfactual")
                }
                for condition in CONDITIONS
            }
            for outcome in CAUSE_OUTCOMES.values()
        },
        "treated": int(sums.get("treated")),
        "comparison": int(sums.get("comparison")),
        "allocation": {
            "model": "logistic",
            "covariates": [
                "age at index (per decade from 45)",
                "female",
                "deprivation (5.5 - IMD decile)",
                "long-term conditions (top-coded 3)",
                "log1p emergency admissions, 12 months before",
                "log1p A&E attendances, 12 months before",
            ],
            "coefficients": config.pilot.model_dump(mode="json"),
        },
        "eq5d_value_set": value_set(),
        "parameters": config.model_dump(mode="json"),
        "seed": config.seed,
        "people": config.people,
    }
