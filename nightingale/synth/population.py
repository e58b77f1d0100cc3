"""People in households: ages, sexes, names, families, hard negatives, health, deaths.

A chunk's people are drawn household by household so that co-residents share a
surname and an address, as they do in real records: couples (a married woman keeps her
birth surname in truth), children, twins (same surname, date of birth and address) and
a child who carries the same-sex parent's forename. Long-term conditions and a frailty
(a person-level gamma multiplier of every event rate) depend on age and deprivation;
deaths follow a Gompertz hazard from the start of observation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import DAYS_PER_YEAR, day
from nightingale.synth.names import vocabulary

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

NEVER = 10**7  # a day number after every date the generator formats
HEAD, PARTNER, CHILD = 0, 1, 2
REFERENCE_DAY = day(dt.date(2022, 1, 1))  # ages are drawn as at this day


@dataclass
class People:
    """One entry per person of a chunk (local index = position)."""

    global_index: IntArray
    household: IntArray  # local household index
    role: IntArray
    female: BoolArray
    dob: IntArray
    forename: ObjectArray
    surname: ObjectArray
    birth_surname: ObjectArray
    twin_of: IntArray  # local index or -1
    same_name_parent: IntArray  # local index or -1
    ltc: IntArray
    frailty: FloatArray
    death: IntArray  # day of death or NEVER

    def __len__(self) -> int:
        return len(self.global_index)

    def age_at(self, days: IntArray | int | np.integer) -> FloatArray:
        """Age in years at the given day(s)."""
        return np.asarray((np.asarray(days) - self.dob) / DAYS_PER_YEAR, dtype=np.float64)


def household_sizes(
    n_people: int, weights: tuple[float, ...], rng: np.random.Generator
) -> IntArray:
    """Household sizes summing to exactly ``n_people`` (the last one trimmed)."""
    p = np.array(weights) / sum(weights)
    mean = float((np.arange(1, len(p) + 1) * p).sum())
    draws = rng.choice(np.arange(1, len(p) + 1), size=int(n_people / mean * 1.2) + 10, p=p)
    total = np.cumsum(draws)
    last = int(np.searchsorted(total, n_people))
    sizes = draws[: last + 1].copy()
    sizes[-1] -= int(total[last] - n_people)
    return sizes.astype(np.int64)


def draw_people(
    config: SynthConfig,
    sizes: IntArray,
    household_imd: IntArray,
    first_global_index: int,
    rng: np.random.Generator,
) -> People:
    """Members of each household with family structure and hard negatives."""
    params = config.population
    vocab = vocabulary()
    n_households = len(sizes)
    n = int(sizes.sum())
    household = np.repeat(np.arange(n_households), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    member = np.arange(n) - starts[household]

    partnered = (sizes >= 2) & (rng.random(n_households) < params.partner_share)
    role = np.where(member == 0, HEAD, CHILD)
    role[(member == 1) & partnered[household]] = PARTNER

    head_age = np.where(
        sizes == 1,
        np.clip(rng.normal(62, 18, n_households), 18, 98),
        np.where(
            sizes == 2,
            np.clip(rng.normal(58, 16, n_households), 18, 98),
            np.clip(rng.normal(41, 8, n_households), 20, 70),
        ),
    )
    age = np.empty(n)
    age[role == HEAD] = head_age
    is_partner = role == PARTNER
    age[is_partner] = np.clip(
        head_age[household[is_partner]] + rng.normal(-1, 4, is_partner.sum()), 18, 98
    )
    is_child = role == CHILD
    parent_age = head_age[household[is_child]]
    child_age = parent_age - rng.uniform(19, 42, is_child.sum())
    child_age = np.where(child_age < 0, rng.uniform(0, 4, is_child.sum()), child_age)
    age[is_child] = np.minimum(child_age, parent_age - 16)
    age = np.maximum(age, 0.0)

    head_female = np.where(
        partnered, rng.random(n_households) < 0.45, rng.random(n_households) < 0.6
    )
    female = rng.random(n) < 0.5
    female[role == HEAD] = head_female
    opposite = rng.random(n) < 0.97
    female[is_partner] = np.where(
        opposite[is_partner],
        ~head_female[household[is_partner]],
        head_female[household[is_partner]],
    )

    family_surname = vocab.draw_surnames(rng, n_households)
    surname = family_surname[household].copy()
    birth_surname = surname.copy()
    married = partnered & (rng.random(n_households) < params.married_share)
    couple_mixed = np.zeros(n_households, dtype=bool)
    couple_mixed[household[is_partner]] = female[is_partner] != head_female[household[is_partner]]
    married &= couple_mixed
    # In a married couple the woman carries the family surname and has another birth surname.
    wife = ((role == HEAD) | is_partner) & female & married[household]
    birth_surname[wife] = vocab.draw_surnames(rng, int(wife.sum()))
    unmarried_partner = is_partner & ~married[household]
    own = vocab.draw_surnames(rng, int(unmarried_partner.sum()))
    surname[unmarried_partner] = own
    birth_surname[unmarried_partner] = own

    forename = vocab.forenames(rng, female)
    twin_of = np.full(n, -1, dtype=np.int64)
    same_name_parent = np.full(n, -1, dtype=np.int64)
    children = sizes - 1 - partnered.astype(np.int64)
    first_child = starts + 1 + partnered.astype(np.int64)

    junior = (children >= 1) & (rng.random(n_households) < params.same_name_child_share)
    kid = first_child[junior]
    female[kid] = head_female[junior]
    forename[kid] = forename[starts[junior]]
    same_name_parent[kid] = starts[junior]

    dob = REFERENCE_DAY - np.round(age * DAYS_PER_YEAR).astype(np.int64) - rng.integers(0, 30, n)
    twins = (children >= 2) & (rng.random(n_households) < params.twin_share)
    first, second = first_child[twins], first_child[twins] + 1
    dob[second] = dob[first]
    twin_of[second] = first
    twin_of[first] = second
    clash = forename[second] == forename[first]
    while clash.any():
        forename[second[clash]] = vocab.forenames(rng, female[second[clash]])
        clash = forename[second] == forename[first]

    imd = household_imd[household]
    current_age = np.maximum((day(config.window_start) + day(config.extract_date)) / 2 - dob, 0)
    age_mid = current_age / DAYS_PER_YEAR
    ltc = np.minimum(rng.poisson(np.exp(-2.6 + 0.04 * age_mid + 0.07 * (5.5 - imd))), 8)
    frailty = rng.gamma(2.0, 0.5, n)
    death = _deaths(config, dob, ltc, frailty, rng)
    return People(
        global_index=first_global_index + np.arange(n, dtype=np.int64),
        household=household.astype(np.int64),
        role=role.astype(np.int64),
        female=female,
        dob=dob.astype(np.int64),
        forename=forename,
        surname=surname,
        birth_surname=birth_surname,
        twin_of=twin_of,
        same_name_parent=same_name_parent,
        ltc=ltc.astype(np.int64),
        frailty=frailty,
        death=death,
    )


GOMPERTZ_SLOPE = 0.09
"""The death hazard's rise per year of age (about 9%)."""


def death_hazard(age: FloatArray, ltc: IntArray, frailty: FloatArray) -> FloatArray:
    """The region's yearly Gompertz death hazard at ``age``: the first extract draws death
    times from it, and each refresh draws the window's deaths from it."""
    hazard: FloatArray = 0.0012 * np.exp(GOMPERTZ_SLOPE * (age - 40)) * 1.25**ltc * np.sqrt(frailty)
    return hazard


def _deaths(
    config: SynthConfig, dob: IntArray, ltc: IntArray, frailty: FloatArray, rng: np.random.Generator
) -> IntArray:
    """Gompertz death times from the start of observation (ageing 9% a year)."""
    start = np.maximum(day(config.window_start), dob)
    age0 = (start - dob) / DAYS_PER_YEAR
    slope = GOMPERTZ_SLOPE
    hazard0 = death_hazard(age0, ltc, frailty)
    years = np.log1p(slope * rng.exponential(1.0, len(dob)) / hazard0) / slope
    death = start + np.floor(years * DAYS_PER_YEAR).astype(np.int64)
    return np.where(death <= day(config.extract_date), death, NEVER).astype(np.int64)
