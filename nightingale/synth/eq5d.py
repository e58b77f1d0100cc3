"""EQ-5D-5L: the value set the generator publishes, and questionnaires from a latent severity.

Each person has a latent severity (higher = worse health) that depends on age, long-term
conditions, deprivation and frailty. A questionnaire's five levels are that severity,
scaled per dimension, plus noise, cut into levels 1-5. Living in a designed-for-health
home lowers the severity at follow-up by ``eq5d_severity_shift``; the same noise draws
give each treated answer's counterfactual, so the effect on utility is known exactly.

Utility uses the *Nightingale synthetic additive value set* below (3L scale: full health
1, worst state -0.30), published in ``truth/effects.json``. It is not an official
tariff: a real English evaluation maps 5L answers to the 3L value set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DIMENSIONS = ("mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression")
DECREMENTS = np.array(
    [
        [0.0, 0.05, 0.10, 0.20, 0.30],
        [0.0, 0.04, 0.08, 0.15, 0.22],
        [0.0, 0.04, 0.08, 0.13, 0.18],
        [0.0, 0.06, 0.12, 0.25, 0.35],
        [0.0, 0.06, 0.12, 0.20, 0.25],
    ]
)
LOADINGS = np.array([1.0, 0.6, 0.9, 1.1, 0.9])
VISITS = ("baseline", "followup_6m", "followup_12m", "followup_24m", "followup_36m", "followup_48m")
VISIT_OFFSETS_DAYS = (0, 182, 365, 730, 1096, 1461)


def value_set() -> dict[str, list[float]]:
    """The decrements per dimension and level, as published in the truth."""
    return {name: [float(x) for x in DECREMENTS[i]] for i, name in enumerate(DIMENSIONS)}


def utility(profile: str) -> float:
    """Utility of a 5-digit profile such as ``"21132"`` under the synthetic value set."""
    if len(profile) != 5 or any(c not in "12345" for c in profile):
        raise ValueError(f"an EQ-5D-5L profile is five digits 1-5, not {profile!r}")
    return float(1.0 - sum(DECREMENTS[i, int(c) - 1] for i, c in enumerate(profile)))


def utilities(levels: IntArray) -> FloatArray:
    """Utilities of an (n, 5) array of levels."""
    taken = DECREMENTS[np.arange(5)[None, :], levels - 1]
    return np.asarray(1.0 - taken.sum(axis=1), dtype=np.float64)


def latent_severity(
    age: FloatArray, ltc: IntArray, imd: IntArray, frailty: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Person-level severity (0 = no problems expected)."""
    base = (
        0.55
        + 0.35 * np.minimum(ltc, 4)
        + 0.015 * np.maximum(age - 30, 0)
        + 0.06 * (5.5 - imd)
        + 0.30 * np.log(frailty)
    )
    return np.asarray(np.maximum(base + rng.normal(0, 0.35, len(age)), 0.0), dtype=np.float64)


def levels_from(severity: FloatArray, noise: FloatArray) -> IntArray:
    """Cut severity plus per-dimension noise into levels 1..5."""
    raw = np.floor(1.0 + severity[:, None] * LOADINGS[None, :] + noise)
    levels: IntArray = np.clip(raw, 1, 5).astype(np.int64)
    return levels


@dataclass
class Questionnaires:
    """Returned questionnaires: who, when, which visit, answers and counterfactual answers."""

    person: IntArray
    day: IntArray
    visit: IntArray  # index into VISITS
    levels: IntArray  # (n, 5) observed
    counterfactual: IntArray  # (n, 5) had the person not been treated
    vas: IntArray
    treated_followup: BoolArray


def questionnaires(
    person: IntArray,
    index_day: IntArray,
    followup_end: IntArray,
    treated: BoolArray,
    severity: FloatArray,
    shift: float,
    nonresponse: float,
    rng: np.random.Generator,
) -> Questionnaires:
    """Baseline and follow-up questionnaires of the pilot's and comparison tenants.

    ``person``, ``index_day``, ``followup_end``, ``treated`` and ``severity`` are aligned
    (one entry per cohort member); visits on or after ``followup_end`` are not held.
    """
    k = len(VISITS)
    offsets = np.array(VISIT_OFFSETS_DAYS, dtype=np.int64)
    jitter = rng.integers(-14, 15, (len(person), k))
    jitter[:, 0] = -rng.integers(1, 61, len(person))
    days = index_day[:, None] + offsets[None, :] + jitter
    due = days < followup_end[:, None]
    due[:, 0] = True
    returned = due & (rng.random((len(person), k)) >= nonresponse)
    member, visit = np.nonzero(returned)
    n = len(member)
    noise = rng.normal(0, 0.6, (n, 5)) + rng.normal(0, 0.25, (n, 1))
    on_treatment = treated[member] & (visit > 0)
    counterfactual = levels_from(severity[member], noise)
    observed = levels_from(severity[member] - np.where(on_treatment, shift, 0.0), noise)
    value = utilities(observed)
    vas = np.clip(np.round(100 * (0.3 + 0.65 * value) + rng.normal(0, 7, n)), 0, 100)
    return Questionnaires(
        person=person[member],
        day=days[member, visit].astype(np.int64),
        visit=visit.astype(np.int64),
        levels=observed,
        counterfactual=counterfactual,
        vas=vas.astype(np.int64),
        treated_followup=on_treatment,
    )
