"""Why people are admitted or see their GP: a cause per event, and the codes it gets.

Every emergency admission and GP consultation has exactly one cause (a condition of
``CONDITIONS``), drawn from the person's cause mix, which depends on the age band and on
whether the home at the window start is cold (more respiratory events). A Poisson
process split by independent cause draws is a sum of independent Poisson processes, so
the all-cause count is the sum of the causes' counts in both the observed and the
counterfactual world.

The pilot's effect is a rate ratio per cause: the declared condition-specific ratios
(respiratory admissions, falls, mental health contacts), and for the person's other
causes the one ratio that keeps their all-cause ratio at the all-cause parameter
(``sum_c share_c * ratio_c = all-cause ratio``). The all-cause effect is therefore what
it was before causes existed, and each condition's effect is what the truth declares.

Codes follow the cause: respiratory admissions have a J primary diagnosis, falls an
injury (S/T) primary and a W00-W19 external cause as the secondary diagnosis,
cardiovascular I20-I25 or I60-I69, mental health F; other causes draw from the rest
(a few are injuries with a non-fall external cause). GP consultations carry one SNOMED
CT concept of their cause.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from nightingale.synth.coding import icd10_codes, snomedct_codes
from nightingale.synth.config import AGE_BAND_STARTS, CONDITIONS, SynthConfig
from nightingale.synth.events import Content

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

OTHER = CONDITIONS.index("other")
FALLS = CONDITIONS.index("falls")
RESPIRATORY = CONDITIONS.index("respiratory")


def age_band(age: FloatArray | IntArray) -> IntArray:
    """0 (0-15), 1 (16-64) or 2 (65+)."""
    return np.asarray(np.digitize(age, AGE_BAND_STARTS[1:]), dtype=np.int64)


def cause_mix(
    config: SynthConfig, service: str, band: IntArray, cold_home: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Per person: the shares of each cause (rows sum to 1), and the all-cause rate
    multiplier of a cold home (its extra respiratory events)."""
    shares: dict[str, tuple[float, float, float]] = getattr(config.conditions, service)
    table = np.zeros((len(AGE_BAND_STARTS), len(CONDITIONS)))
    for condition, values in shares.items():
        table[:, CONDITIONS.index(condition)] = values
    table[:, OTHER] = 1 - table.sum(axis=1)
    weight = table[band]
    damp = np.where(cold_home, config.conditions.damp_respiratory_rate_ratio, 1.0)
    weight[:, RESPIRATORY] *= damp
    total = weight.sum(axis=1)
    return weight / total[:, None], total


def cause_ratios(config: SynthConfig, service: str, shares: FloatArray) -> FloatArray:
    """Per person and cause: the pilot's rate ratio (declared, or the balancing one)."""
    all_cause, targeted = next(
        (ratio, declared) for name, ratio, declared in config.targeted_effects() if name == service
    )
    ratios = np.empty_like(shares)
    named_part = np.zeros(len(shares))
    named_share = np.zeros(len(shares))
    for condition, ratio in targeted.items():
        column = CONDITIONS.index(condition)
        ratios[:, column] = ratio
        named_part += shares[:, column] * ratio
        named_share += shares[:, column]
    named = np.isin(np.arange(len(CONDITIONS)), [CONDITIONS.index(c) for c in targeted])
    rest = (all_cause - named_part) / np.maximum(1 - named_share, 1e-12)
    ratios[:, ~named] = rest[:, None]
    return ratios


def _draw(weights: FloatArray, n: int, rng: np.random.Generator) -> IntArray:
    """``n`` row indices drawn with probabilities proportional to ``weights``."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(rng.choice(len(weights), size=n, p=weights / weights.sum()), np.int64)


def _procedures(rows: IntArray, rng: np.random.Generator) -> ObjectArray:
    """An OPCS-4 procedure for some admissions, by the primary diagnosis's row."""
    options, share = _procedure_options()
    count = (options != None).sum(axis=1)  # noqa: E711
    pick = np.floor(rng.random(len(rows)) * np.maximum(count[rows], 1)).astype(np.int64)
    chosen = options[rows, pick]
    done = rng.random(len(rows)) < share[rows]
    out = np.full(len(rows), None, dtype=object)
    out[done] = chosen[done]
    return out


@cache
def _procedure_options() -> tuple[ObjectArray, FloatArray]:
    """Per ICD-10 row: its OPCS-4 options (None-padded) and the share with a procedure."""
    table = icd10_codes()
    lists = [str(text).split() for text in table.columns["procedures"]]
    options = np.full((len(lists), max(len(o) for o in lists)), None, dtype=object)
    for row, choices in enumerate(lists):
        options[row, : len(choices)] = choices
    share = table.columns["procedure_share"].astype(np.float64)
    return options, np.where((options != None).any(axis=1), share, 0.0)  # noqa: E711


def admission_codes(
    condition: IntArray,
    emergency: bool,
    ltc: IntArray,
    injury_share: float,
    rng: np.random.Generator,
) -> Content:
    """Primary and secondary ICD-10 diagnoses and an OPCS-4 procedure per admission.

    Elective admissions draw their primary diagnosis from the elective mix whatever the
    cause (the pilot does not act on them). A secondary diagnosis is the external cause
    of an injury (W00-W19 for falls, another for ``injury_share`` of other causes),
    otherwise a comorbidity, likelier with more long-term conditions.
    """
    table = icd10_codes()
    n = len(condition)
    primary = np.zeros(n, dtype=np.int64)
    secondary = np.full(n, -1, dtype=np.int64)
    if not emergency:
        primary = _draw(table.weights("elective"), n, rng)
    else:
        other_injury = (condition == OTHER) & (rng.random(n) < injury_share)
        for index, name in enumerate(CONDITIONS):
            rows = np.flatnonzero((condition == index) & ~other_injury)
            pool = "injury" if name == "falls" else name
            primary[rows] = _draw(table.weights("emergency", "group", pool), len(rows), rng)
        for rows, causes in (
            (np.flatnonzero(condition == FALLS), "fall_cause"),
            (np.flatnonzero(other_injury), "injury_cause"),
        ):
            if causes == "injury_cause":
                primary[rows] = _draw(table.weights("emergency", "group", "injury"), len(rows), rng)
            secondary[rows] = _draw(table.weights("emergency", "group", causes), len(rows), rng)
    is_injury = table.columns["group"][primary] == "injury"
    comorbid = ~is_injury & (rng.random(n) < 1 - np.exp(-0.5 * (ltc + 0.3)))
    rows = np.flatnonzero(comorbid)
    secondary[rows] = _draw(table.weights("secondary"), len(rows), rng)
    secondary[secondary == primary] = -1
    codes = table.code
    with_secondary = np.full(n, None, dtype=object)
    with_secondary[secondary >= 0] = codes[secondary[secondary >= 0]]
    return {
        "diag_primary": codes[primary],
        "diag_secondary": with_secondary,
        "proc_primary": _procedures(primary, rng),
    }


def gp_codes(condition: IntArray, rng: np.random.Generator) -> ObjectArray:
    """One SNOMED CT concept of each consultation's cause."""
    table = snomedct_codes()
    out = np.empty(len(condition), dtype=object)
    for index, name in enumerate(CONDITIONS):
        rows = np.flatnonzero(condition == index)
        out[rows] = table.code[_draw(table.weights("frequency", "condition", name), len(rows), rng)]
    return out


def death_causes(n: int, rng: np.random.Generator) -> ObjectArray:
    """Underlying causes of death (ICD-10), independent of the person's events."""
    table = icd10_codes()
    return np.asarray(table.code[_draw(table.weights("death"), n, rng)], dtype=object)
