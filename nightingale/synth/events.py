"""Point events in continuous time: Poisson processes with person-level rates.

Each person's rate of each kind of event is constant over the window (apart from the
pilot's effect, applied later by thinning or adding events), so counts in disjoint
periods are independent given the person. That is what makes a before/after comparison
within people unbiased, and what the tests check the measured effects against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nightingale.synth.dates import DAYS_PER_YEAR

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Content = dict[str, npt.NDArray[np.generic]]
ContentMaker = Callable[[IntArray, np.random.Generator], Content]


@dataclass
class Events:
    """Events of one kind: who, which day, and content columns."""

    person: IntArray
    day: IntArray
    columns: dict[str, npt.NDArray[np.generic]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.person)

    def select(self, mask: BoolArray | IntArray) -> Events:
        return Events(
            self.person[mask], self.day[mask], {k: v[mask] for k, v in self.columns.items()}
        )

    def concat(self, other: Events) -> Events:
        return Events(
            np.concatenate([self.person, other.person]),
            np.concatenate([self.day, other.day]),
            {k: np.concatenate([v, other.columns[k]]) for k, v in self.columns.items()},
        )

    def count_between(self, n_people: int, start: IntArray, end: IntArray) -> IntArray:
        """Per person, events with ``start[p] <= day < end[p]``."""
        inside = (self.day >= start[self.person]) & (self.day < end[self.person])
        return np.bincount(self.person[inside], minlength=n_people).astype(np.int64)


def poisson_events(
    rate_per_year: FloatArray, start: IntArray, end: IntArray, rng: np.random.Generator
) -> Events:
    """Events of a homogeneous Poisson process on each person's [start, end)."""
    length = np.maximum(end - start, 0)
    counts = rng.poisson(rate_per_year * length / DAYS_PER_YEAR)
    person = np.repeat(np.arange(len(start), dtype=np.int64), counts)
    offset = np.floor(rng.random(len(person)) * length[person]).astype(np.int64)
    return Events(person, start[person] + offset)


def apply_rate_ratio(
    events: Events,
    rate_per_year: FloatArray,
    treated: BoolArray,
    effect_start: IntArray,
    effect_end: IntArray,
    rate_ratio: float,
    make_content: ContentMaker,
    rng: np.random.Generator,
) -> Events:
    """The events that happen when the treated's rate is multiplied on their effect period.

    With a ratio below one each affected event survives with that probability (thinning
    a Poisson process gives a Poisson process with the lower rate); above one, extra
    events are added on the period. The untreated world is ``events`` itself, so the
    counterfactual is known exactly.
    """
    affected = (
        treated[events.person]
        & (events.day >= effect_start[events.person])
        & (events.day < effect_end[events.person])
    )
    if rate_ratio <= 1.0:
        keep = ~affected | (rng.random(len(events)) < rate_ratio)
        return events.select(keep)
    start = np.where(treated, effect_start, 0)
    end = np.where(treated, effect_end, 0)
    extra = poisson_events(rate_per_year * (rate_ratio - 1.0), start, end, rng)
    extra.columns = make_content(extra.person, rng)
    return events.concat(extra)


CauseContentMaker = Callable[[IntArray, IntArray, np.random.Generator], Content]


def apply_cause_rate_ratios(
    events: Events,
    rate_per_year: FloatArray,
    shares: FloatArray,
    ratios: FloatArray,
    treated: BoolArray,
    effect_start: IntArray,
    effect_end: IntArray,
    make_content: CauseContentMaker,
    rng: np.random.Generator,
) -> Events:
    """Like :func:`apply_rate_ratio`, with a ratio per person and cause.

    ``events.columns["condition"]`` holds each event's cause (a column of ``shares`` and
    ``ratios``, which have a row per person). Events of a cause whose ratio is below one
    are thinned; for a ratio above one, events of that cause are added on the effect
    period at the extra rate ``rate * share * (ratio - 1)``.
    """
    cause = np.asarray(events.columns["condition"], dtype=np.int64)
    affected = (
        treated[events.person]
        & (events.day >= effect_start[events.person])
        & (events.day < effect_end[events.person])
    )
    survive = np.minimum(ratios[events.person, cause], 1.0)
    keep = ~affected | (rng.random(len(events)) < survive)
    result = events.select(keep)
    extra_rate = rate_per_year[:, None] * shares * np.maximum(ratios - 1.0, 0.0)
    extra_rate[~treated] = 0.0
    start = np.where(treated, effect_start, 0)
    end = np.where(treated, effect_end, 0)
    for column in np.flatnonzero(extra_rate.any(axis=0)):
        extra = poisson_events(extra_rate[:, column], start, end, rng)
        extra.columns = make_content(extra.person, np.full(len(extra), column, np.int64), rng)
        result = result.concat(extra)
    return result
