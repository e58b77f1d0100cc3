"""The designed-for-health homes pilot: who was offered a home, and when the effect runs.

Candidates are heads of households starting a new social tenancy between the pilot's
start and end. Each is allocated a designed-for-health home with a probability that
depends only on covariates the data hold at the tenancy start (age, sex, deprivation of
the previous address, long-term conditions, emergency admissions and A&E attendances in
the previous 12 months), so adjusting for them recovers the truth and a naive comparison
does not. The effect runs from the tenancy start until the person moves out, dies or the
extract ends; follow-up is that period capped at ``followup_years``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import DAYS_PER_YEAR, day
from nightingale.synth.homes import NEW_SOCIAL, Homes
from nightingale.synth.population import HEAD, People

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

PRIOR_DAYS = 365


@dataclass
class Cohort:
    """Pilot and comparison tenants of one chunk (aligned arrays)."""

    person: IntArray
    household: IntArray
    index_day: IntArray
    treated: BoolArray
    propensity: FloatArray
    effect_end: IntArray  # exclusive: moving out, death or the day after the extract
    followup_end: IntArray  # exclusive
    end_reason: ObjectArray

    def person_mask(self, n_people: int, treated_only: bool = True) -> BoolArray:
        mask = np.zeros(n_people, dtype=bool)
        mask[self.person[self.treated] if treated_only else self.person] = True
        return mask

    def per_person(self, values: IntArray, n_people: int, fill: int = 0) -> IntArray:
        out = np.full(n_people, fill, dtype=np.int64)
        out[self.person] = values
        return out


def candidates(config: SynthConfig, people: People, homes: Homes) -> tuple[IntArray, IntArray]:
    """(household, head person) of new social tenancies inside the pilot window."""
    start = homes.start[:, 1]
    inside = (
        (homes.kind[:, 1] == NEW_SOCIAL)
        & (start >= day(config.pilot_start))
        & (start <= day(config.pilot_end))
    )
    households = np.flatnonzero(inside)
    head_of = np.full(len(homes), -1, dtype=np.int64)
    heads = np.flatnonzero(people.role == HEAD)
    head_of[people.household[heads]] = heads
    return households.astype(np.int64), head_of[households]


def propensity(
    config: SynthConfig,
    age: FloatArray,
    female: BoolArray,
    imd: IntArray,
    ltc: IntArray,
    prior_emergency: IntArray,
    prior_ae: IntArray,
) -> FloatArray:
    """True probability of a designed-for-health home given the baseline covariates."""
    p = config.pilot
    score = (
        p.allocation_intercept
        + p.allocation_age_per_decade * (age - 45) / 10
        + p.allocation_female * female
        + p.allocation_per_deprivation_decile * (5.5 - imd)
        + p.allocation_per_ltc * np.minimum(ltc, 3)
        + p.allocation_log1p_emergency_admissions * np.log1p(prior_emergency)
        + p.allocation_log1p_ae_attendances * np.log1p(prior_ae)
    )
    return np.asarray(1.0 / (1.0 + np.exp(-score)), dtype=np.float64)


def allocate(
    config: SynthConfig,
    people: People,
    homes: Homes,
    household: IntArray,
    person: IntArray,
    imd: IntArray,
    prior_emergency: IntArray,
    prior_ae: IntArray,
    rng: np.random.Generator,
) -> Cohort:
    """Allocate designed-for-health homes and work out each tenant's follow-up."""
    index_day = homes.start[household, 1]
    age = (index_day - people.dob[person]) / DAYS_PER_YEAR
    chance = propensity(
        config,
        age,
        people.female[person],
        imd[person],
        people.ltc[person],
        prior_emergency,
        prior_ae,
    )
    treated = rng.random(len(person)) < chance
    moved_out = homes.start[household, 2]  # leaving the new home (NEVER if it never happens)
    extract_end = day(config.extract_date) + 1
    death = people.death[person]
    effect_end = np.minimum.reduce([moved_out, death, np.full(len(person), extract_end)])
    cap = index_day + int(config.followup_years * DAYS_PER_YEAR)
    followup_end = np.minimum(effect_end, cap)
    reason = np.full(len(person), "extract_date", dtype=object)
    reason[followup_end == cap] = "end_of_followup"
    reason[(followup_end == moved_out) & (moved_out < cap)] = "moved_out"
    reason[(followup_end == death) & (death < cap)] = "died"
    return Cohort(
        person=person,
        household=household,
        index_day=index_day.astype(np.int64),
        treated=treated,
        propensity=chance,
        effect_end=effect_end.astype(np.int64),
        followup_end=followup_end.astype(np.int64),
        end_reason=reason,
    )
