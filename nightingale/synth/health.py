"""Health: GP registrations, hospital admissions, A&E, GP consultations and deaths.

Rates per person and year depend on age, sex, deprivation, long-term conditions and the
person's frailty (shared by all kinds of events, so heavy users of one service are heavy
users of the others). Emergency admissions and GP consultations each have a cause and
clinical codes (``conditions``). A person is registered at one practice per address; moving within
the region means a new registration with a new ``patient_id``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.conditions import admission_codes, gp_codes
from nightingale.synth.config import CONDITIONS, SynthConfig
from nightingale.synth.dates import day
from nightingale.synth.events import Content, Events
from nightingale.synth.homes import OUT, SEGMENTS, Homes
from nightingale.synth.population import NEVER, People

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Observation:
    """Per person: first day observed and the day observation stops (exclusive)."""

    start: IntArray
    end: IntArray


def observation(config: SynthConfig, people: People, homes: Homes) -> Observation:
    """From birth or the window start until death, leaving the region or the extract."""
    start = np.maximum(day(config.window_start), people.dob)
    end = np.minimum.reduce(
        [
            people.death,
            homes.leaves_region()[people.household],
            np.full(len(people), day(config.extract_date) + 1),
        ]
    )
    return Observation(start.astype(np.int64), np.maximum(end, start).astype(np.int64))


def age_at_middle(config: SynthConfig, people: People) -> IntArray:
    """Age at the window's middle: what the constant-over-the-window rates depend on."""
    middle = (day(config.window_start) + day(config.extract_date)) // 2
    return np.asarray(np.maximum(people.age_at(middle), 0), dtype=np.int64)


def health_rates(config: SynthConfig, people: People, imd: IntArray) -> dict[str, FloatArray]:
    """Yearly event rates of each person (constant over the window; age at its middle)."""
    age = age_at_middle(config, people)
    ltc, frailty = people.ltc, people.frailty
    deprivation = 5.5 - imd
    young = (age < 5) | ((age >= 16) & (age < 25))
    return {
        "emergency": 0.06
        * np.exp(0.025 * (age - 45))
        * 1.35**ltc
        * (1 + 0.05 * deprivation)
        * frailty,
        "elective": 0.05 * np.exp(0.02 * (age - 45)) * 1.2**ltc * np.sqrt(frailty),
        "ae": 0.28 * np.where(young, 1.3, 1.0) * 1.25**ltc * (1 + 0.06 * deprivation) * frailty,
        "gp": 3.2
        * np.exp(0.012 * (age - 45))
        * 1.3**ltc
        * np.where(people.female, 1.2, 1.0)
        * frailty**0.7,
    }


def draw_causes(shares: FloatArray, person: IntArray, rng: np.random.Generator) -> IntArray:
    """A cause per event from its person's row of ``shares``."""
    cumulative = np.cumsum(shares[person], axis=1)
    cause = (cumulative < rng.random(len(person))[:, None]).sum(axis=1)
    return np.asarray(np.minimum(cause, len(CONDITIONS) - 1), dtype=np.int64)


@dataclass(frozen=True)
class AdmissionMaker:
    """Content of admissions of one method: length of stay, cause and codes.

    Called with people only, it draws each admission's cause from the person's mix;
    :meth:`with_causes` takes the causes (events added by the pilot's effect). An
    elective admission's cause is the condition its primary diagnosis belongs to.
    """

    emergency: bool
    shares: FloatArray  # per person and cause
    ltc: IntArray
    injury_share: float

    def __call__(self, person: IntArray, rng: np.random.Generator) -> Content:
        return self.with_causes(person, draw_causes(self.shares, person, rng), rng)

    def with_causes(self, person: IntArray, cause: IntArray, rng: np.random.Generator) -> Content:
        n = len(person)
        if self.emergency:
            stay = np.where(rng.random(n) < 0.25, 0, rng.geometric(1 / 5.0, n))
        else:
            stay = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 5, n))
        codes = admission_codes(cause, self.emergency, self.ltc[person], self.injury_share, rng)
        if not self.emergency:
            primary, secondary = codes["diag_primary"], codes["diag_secondary"]
            cause = condition_of(primary.astype(object), secondary.astype(object))
        return {
            "length_of_stay": stay.astype(np.int64),
            "emergency": np.full(n, self.emergency),
            "condition": cause,
            **codes,
        }


def condition_of(primary: ObjectArray, secondary: ObjectArray) -> IntArray:
    """The cause of admissions as their codes define it (docs/synthetic-region.md)."""
    first = np.asarray(primary, dtype="U3")
    letter = np.asarray(first, dtype="U1")
    cause_code = np.asarray(np.where(secondary == None, "", secondary), dtype="U3")  # noqa: E711
    fall = (cause_code >= "W00") & (cause_code <= "W19")
    cause = np.full(len(primary), CONDITIONS.index("other"), dtype=np.int64)
    cause[letter == "J"] = CONDITIONS.index("respiratory")
    cause[letter == "F"] = CONDITIONS.index("mental_health")
    heart = ((first >= "I20") & (first <= "I25")) | ((first >= "I60") & (first <= "I69"))
    cause[heart] = CONDITIONS.index("cardiovascular")
    cause[fall & np.isin(letter, ["S", "T"])] = CONDITIONS.index("falls")
    return cause


def ae_content(person: IntArray, rng: np.random.Generator) -> Content:
    n = len(person)
    return {"arrival_mode": np.where(rng.random(n) < 0.3, "ambulance", "walk_in").astype(object)}


@dataclass(frozen=True)
class ConsultationMaker:
    """Content of GP consultations: type, cause and the SNOMED CT concept recorded."""

    shares: FloatArray

    def __call__(self, person: IntArray, rng: np.random.Generator) -> Content:
        return self.with_causes(person, draw_causes(self.shares, person, rng), rng)

    def with_causes(self, person: IntArray, cause: IntArray, rng: np.random.Generator) -> Content:
        kind = rng.choice(3, size=len(person), p=[0.62, 0.35, 0.03])
        return {
            "consultation_type": np.array(
                ["face_to_face", "telephone", "home_visit"], dtype=object
            )[kind],
            "condition": cause,
            "snomed_code": gp_codes(cause, rng),
        }


def with_content(
    events: Events,
    maker: Callable[[IntArray, np.random.Generator], Content],
    rng: np.random.Generator,
) -> Events:
    """Give drawn events their content columns."""
    events.columns = maker(events.person, rng)
    return events


@dataclass
class Registrations:
    """One row per (person, in-region address segment) for registered people."""

    person: IntArray
    segment: IntArray
    start: IntArray
    end: IntArray  # deregistration day or NEVER
    reason: ObjectArray  # "" | moved | left_region | died
    postcode: IntArray


def registrations(
    config: SynthConfig,
    people: People,
    homes: Homes,
    obs: Observation,
    registered: BoolArray,
    rng: np.random.Generator,
) -> Registrations:
    """Registrations of registered people for each in-region segment they were observed in."""
    rows: dict[str, list[IntArray]] = {k: [] for k in ("person", "segment", "start", "end")}
    reasons: list[ObjectArray] = []
    household = people.household
    for segment in range(SEGMENTS):
        seg_start = homes.start[household, segment]
        seg_end = (
            homes.start[household, segment + 1]
            if segment + 1 < SEGMENTS
            else np.full(len(people), NEVER)
        )
        in_region = (homes.kind[household, segment] > 0) & (homes.kind[household, segment] != OUT)
        start = np.maximum(seg_start, obs.start)
        end = np.minimum(seg_end, obs.end)
        present = registered & in_region & (start < end)
        before_window = (segment == 0) & (people.dob < day(config.window_start))
        # Long-standing registrations began before the window (but after birth).
        years_before = rng.integers(0, 15 * 365, len(people))
        start = np.where(before_window, np.maximum(people.dob + 7, start - years_before), start)
        next_kind = (
            homes.kind[household, segment + 1] if segment + 1 < SEGMENTS else np.zeros(len(people))
        )
        died = people.death <= np.minimum(seg_end, NEVER - 1)
        reason = np.full(len(people), "", dtype=object)
        reason[(end == seg_end) & (next_kind == OUT)] = "left_region"
        reason[(end == seg_end) & (next_kind != OUT) & (seg_end < NEVER)] = "moved"
        reason[died & (end == people.death)] = "died"
        dereg = np.where(reason == "", NEVER, end)
        idx = np.flatnonzero(present)
        rows["person"].append(idx)
        rows["segment"].append(np.full(len(idx), segment, dtype=np.int64))
        rows["start"].append(start[idx])
        rows["end"].append(dereg[idx])
        reasons.append(reason[idx])
    person = np.concatenate(rows["person"])
    segment_of = np.concatenate(rows["segment"])
    return Registrations(
        person=person,
        segment=segment_of,
        start=np.concatenate(rows["start"]).astype(np.int64),
        end=np.concatenate(rows["end"]).astype(np.int64),
        reason=np.concatenate(reasons),
        postcode=homes.postcode[household[person], segment_of],
    )


def registration_of(
    registrations: Registrations, people: People, homes: Homes, person: IntArray, days: IntArray
) -> IntArray:
    """Row of the registration an event was filed under, or -1 (not registered)."""
    segment = homes.segment_at(people.household[person], days)
    lookup = np.full((len(people), SEGMENTS), -1, dtype=np.int64)
    lookup[registrations.person, registrations.segment] = np.arange(len(registrations.person))
    return lookup[person, segment]
