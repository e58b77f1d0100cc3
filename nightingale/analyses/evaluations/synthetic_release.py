"""Release-shaped frames straight from the synthetic region's data-generating process.

The validity benchmark and the tests need many pilot releases with known true effects;
going through synth -> ingest -> link -> build for each is too slow. This module runs
the synthetic region's simulation in memory (``nightingale.synth.world``) and
turns its pilot cohort into ``persons`` and ``panel`` frames with the release contract's
column names, and returns the truth the generator itself declares (its own tally of the
treated people's counterfactual outcomes).

What it does not reproduce: identifier and linkage errors (the frames use the true
person), and the cohort builder's own derivations — periods here are day-based
(0-182-365-730-1096-1461 days after the index date) where the builder counts months.
Like the extracts, it holds health data (IMD, long-term conditions, events, EQ-5D) only
for GP-registered people.

The condition-specific outcomes (respiratory and falls admissions, mental-health
contacts) are counted from the world's coded events with the codelists the pilot's spec
names (``cohorts/examples/codelists``), matched as the cohort builder matches them: by
prefix for ICD-10, exactly for SNOMED CT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nightingale.cohorts.codelists import parse_codelist, read_codelist_text
from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import DAYS_PER_YEAR, month_index, month_start
from nightingale.synth.events import Events
from nightingale.synth.geography import build_geography
from nightingale.synth.truth import EffectTally, effects_document, tally
from nightingale.synth.world import World, simulate

PERIOD_BOUNDS = np.array([0, 182, 365, 730, 1096, 1461])
AGE_CUTS = [16, 25, 35, 45, 55, 65, 75]
AGE_LABELS = ["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]


@dataclass(frozen=True)
class CodedOutcome:
    """A count outcome of the pilot's spec defined by a codelist (dfh_pilot.yaml)."""

    kind: str  # the world's event kind: "emergency" admissions or "gp" consultations
    codelist: str  # file under cohorts/examples/codelists
    columns: tuple[str, ...]  # an event counts when any of these columns matches
    prefix: bool  # ICD-10 matches by prefix, SNOMED CT exactly


CODED_OUTCOMES = {
    "respiratory_admissions": CodedOutcome(
        "emergency", "codelists/respiratory-admissions.csv", ("diag_primary",), True
    ),
    "falls_admissions": CodedOutcome(
        "emergency", "codelists/falls.csv", ("diag_primary", "diag_secondary"), True
    ),
    "mental_health_contacts": CodedOutcome(
        "gp", "codelists/gp-mental-health.csv", ("snomed_code",), False
    ),
}


def coded_events(world: World, outcome: CodedOutcome) -> Events:
    """The world's events of ``outcome.kind`` whose codes match the outcome's codelist."""
    file = outcome.codelist
    codes = tuple(parse_codelist(read_codelist_text(file, None), file).codes)
    events = world.events[outcome.kind]
    keep = np.zeros(len(events.person), dtype=bool)
    for column in outcome.columns:
        values = pd.Series(events.columns[column], dtype=object).fillna("").astype(str)
        matched = values.str.startswith(codes) if outcome.prefix else values.isin(codes)
        keep |= matched.to_numpy(dtype=bool)
    return events.select(keep)


def _per_member(
    world: World, events_kind: str | Events, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Events (of a kind, or given) of GP-registered people on [start, end) per member."""
    n = len(world.people)
    events = world.events[events_kind] if isinstance(events_kind, str) else events_kind
    events = events.select(world.registered[events.person])
    s, e = np.zeros(n, np.int64), np.zeros(n, np.int64)
    s[world.cohort.person], e[world.cohort.person] = start, end
    return events.count_between(n, s, e)[world.cohort.person]


def _bed_days(world: World, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    n = len(world.people)
    s, e = np.zeros(n, np.int64), np.zeros(n, np.int64)
    s[world.cohort.person], e[world.cohort.person] = start, end
    total = np.zeros(n)
    for kind in ("emergency", "elective"):
        ev = world.events[kind].select(world.registered[world.events[kind].person])
        inside = (ev.day >= s[ev.person]) & (ev.day < e[ev.person])
        total += np.bincount(
            ev.person[inside], weights=ev.columns["length_of_stay"][inside], minlength=n
        )
    return total[world.cohort.person].astype(np.int64)


def _profiles(levels: np.ndarray) -> np.ndarray:
    return np.array(["".join(map(str, row)) for row in levels], dtype=object)


def _latest_profile(
    world: World, visits: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Per cohort member: the latest questionnaire of the given visits in [start, end)."""
    q = world.questionnaires
    member_of = {int(p): i for i, p in enumerate(world.cohort.person)}
    rows = np.array([member_of[int(p)] for p in q.person], dtype=np.int64)
    ok = np.isin(q.visit, visits) & (q.day >= start[rows]) & (q.day < end[rows])
    out = np.full(len(world.cohort.person), None, dtype=object)
    order = np.argsort(q.day[ok], kind="stable")
    chosen_rows, profiles = rows[ok][order], _profiles(q.levels[ok][order])
    out[chosen_rows] = profiles  # later answers overwrite earlier ones
    return out


def _registered_only(registered: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    out = profiles.copy()
    out[~registered] = None
    return out


def _work(world: World, start: np.ndarray, end: np.ndarray) -> dict[str, np.ndarray]:
    """Days employed, earnings and sickness-benefit days on [start, end) per member."""
    work, rows = world.work, world.cohort.person
    months = work.first_month + np.arange(work.employed.shape[1])
    m_start = month_start(months)
    m_end = month_start(months + 1)
    overlap = np.clip(
        np.minimum(end[:, None], m_end[None, :]) - np.maximum(start[:, None], m_start[None, :]),
        0,
        None,
    )
    employed = work.employed[rows]
    pay = work.monthly_pay[rows, None] * np.exp(world.pay_noise[rows])
    sick = work.eligible[rows] & work.claimant[rows, None] & work.sickness[rows, None] & ~employed
    length = (m_end - m_start)[None, :]
    return {
        "employed_days": (employed * overlap).sum(axis=1),
        "earnings": np.round((employed * pay * overlap / length).sum(axis=1), 2),
        "sickness_benefit_days": (sick * overlap).sum(axis=1),
    }


def release_frames(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pilot cohort of a simulated world as release-shaped persons and panel frames."""
    cohort, people = world.cohort, world.people
    p, index, end = cohort.person, cohort.index_day, cohort.followup_end
    n = len(p)
    # The health extracts hold only GP-registered people: no IMD, long-term conditions,
    # events or questionnaires for the others (as in a release built from the extracts).
    registered = world.registered[p]
    pid = np.array([f"{i:016x}" for i in range(n)], dtype=object)
    age = (index - people.dob[p]) / DAYS_PER_YEAR
    first_month = month_index(index) - world.work.first_month
    pay = world.work.monthly_pay[p, None] * np.exp(world.pay_noise[p])
    columns = np.arange(world.work.employed.shape[1])
    month = columns[None, :]
    before = (month >= first_month[:, None] - 12) & (month < first_month[:, None])
    persons = pd.DataFrame(
        {
            "pid": pid,
            "treated": cohort.treated.astype(int),
            "age_band": np.array(AGE_LABELS, dtype=object)[np.digitize(age, AGE_CUTS)],
            "sex": np.where(people.female[p], "F", "M"),
            "imd_quintile": np.where(registered, (world.imd[p] + 1) // 2, np.nan),
            "ltc_count": np.where(registered, np.minimum(people.ltc[p], 3), np.nan),
            "employed_pre": world.work.employed[p, np.maximum(first_month - 1, 0)].astype(int),
            "earnings_pre": np.round((world.work.employed[p] * pay * before).sum(axis=1), 2),
            "emergency_admissions_pre": _per_member(world, "emergency", index - 365, index),
            "ae_attendances_pre": _per_member(world, "ae", index - 365, index),
            "gp_consultations_pre": _per_member(world, "gp", index - 365, index),
            "eq5d_pre": _registered_only(
                registered, _latest_profile(world, np.array([0]), index - 365, index + 1)
            ),
            "died": (cohort.end_reason == "died").astype(int),
            "followup_days": end - index,
        }
    )
    coded = {name: coded_events(world, outcome) for name, outcome in CODED_OUTCOMES.items()}
    periods = []
    for k in range(len(PERIOD_BOUNDS) - 1):
        start = index + PERIOD_BOUNDS[k]
        stop = np.maximum(np.minimum(index + PERIOD_BOUNDS[k + 1], end), start)
        periods.append(
            pd.DataFrame(
                {
                    "pid": pid,
                    "period": k,
                    "period_start_month": "",
                    "period_end_month": "",
                    "time_at_risk_days": stop - start,
                    "emergency_admissions": _per_member(world, "emergency", start, stop),
                    "ae_attendances": _per_member(world, "ae", start, stop),
                    "gp_consultations": _per_member(world, "gp", start, stop),
                    "bed_days": _bed_days(world, start, stop),
                    "eq5d": _registered_only(
                        registered, _latest_profile(world, np.arange(1, 6), start, stop)
                    ),
                    **_work(world, start, stop),
                    **{name: _per_member(world, ev, start, stop) for name, ev in coded.items()},
                }
            )
        )
    return persons, pd.concat(periods, ignore_index=True)


def one_region(seed: int, people: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Simulate one region (one chunk) and return its frames and declared effects."""
    config = SynthConfig(people=people, seed=seed, chunk_size=max(people, 100))
    geography_seed, chunk_seed = np.random.SeedSequence(seed).spawn(2)
    geography = build_geography(config.lsoa_count, np.random.default_rng(geography_seed))
    world = simulate(config, geography, 0, people, np.random.default_rng(chunk_seed))
    sums = EffectTally()
    tally(world, sums)
    persons, panel = release_frames(world)
    return persons, panel, effects_document(config, sums)["effects"]
