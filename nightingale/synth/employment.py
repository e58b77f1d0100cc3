"""Employment and benefits as a monthly two-state process per person.

Each working-age month (16 to 66) a person in work keeps the job unless a job-loss draw
says otherwise; a person out of work finds a job with a monthly probability chosen so
that the person's long-run share of time employed depends on long-term conditions,
deprivation, sex and age. The first working-age month starts from that long-run share,
so without the pilot each person's chance of being employed is the same in every month.
Living in a designed-for-health home multiplies the job-finding probability. People out
of work who are claimants claim a benefit; sickness-related for some with conditions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import day, month_index, month_start
from nightingale.synth.population import People

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Work:
    """Monthly states of the people of a chunk (rows) over the window's months (columns)."""

    first_month: int  # month index (months since 1970-01) of column 0
    eligible: npt.NDArray[np.bool_]
    employed: npt.NDArray[np.bool_]
    claiming: npt.NDArray[np.bool_]
    claimant: BoolArray  # per person: claims a benefit when out of work
    sickness: BoolArray  # per person: claims are sickness-related
    monthly_pay: FloatArray  # per person, GBP, before monthly noise
    part_time: BoolArray
    job_loss: FloatArray


@dataclass
class Chain:
    """What replaying the employment chain needs: the draws and each person's rates."""

    draws: npt.NDArray[np.float32]
    initial: BoolArray
    finding: FloatArray


def _logistic(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def simulate_work(
    config: SynthConfig,
    people: People,
    imd: IntArray,
    obs_start: IntArray,
    obs_end: IntArray,
    finding_ratio: FloatArray,
    rng: np.random.Generator,
) -> tuple[Work, Chain]:
    """Simulate every person; ``finding_ratio`` is (people, months) (1 where untreated).

    Returns the states and the chain's draws and rates, so that a counterfactual can be
    replayed with :func:`replay_employment` on the same draws.
    """
    first = int(month_index(np.array([day(config.window_start)]))[0])
    last = int(month_index(np.array([day(config.extract_date)]))[0])
    months = np.arange(first, last + 1, dtype=np.int64)
    middle = month_start(months) + 14
    age = (middle[None, :] - people.dob[:, None]) / 365.25
    eligible = (
        (age >= 16)
        & (age < 67)
        & (middle[None, :] >= obs_start[:, None])
        & (middle[None, :] < obs_end[:, None])
    )
    age_mid = np.clip(age[:, len(months) // 2], 16, 66)
    ltc = np.minimum(people.ltc, 4)
    share = _logistic(
        1.6 - 0.55 * ltc - 0.10 * (5.5 - imd) - 0.25 * people.female - 0.0015 * (age_mid - 42) ** 2
    )
    job_loss = 0.012 * (1 + 0.3 * ltc)
    finding = share / (1 - share) * job_loss
    draws = rng.random((len(people), len(months)), dtype=np.float32)
    start_draw = rng.random(len(people))
    initial = start_draw < share
    employed = replay_employment(
        eligible, draws, initial, finding_ratio * finding[:, None], job_loss
    )

    claimant = rng.random(len(people)) < _logistic(-1.0 + 0.6 * ltc + 0.15 * (5.5 - imd))
    sickness = (ltc >= 1) & (rng.random(len(people)) < 0.7)
    pay = np.exp(
        np.log(1_900)
        + 0.15 * ~people.female
        + 0.04 * (imd - 5.5)
        - 0.0004 * (age_mid - 45) ** 2
        + rng.normal(0, 0.35, len(people))
    )
    part_time = rng.random(len(people)) < np.where(people.female, 0.40, 0.15)
    work = Work(
        first_month=first,
        eligible=eligible,
        employed=employed,
        claiming=eligible & ~employed & claimant[:, None],
        claimant=claimant,
        sickness=sickness,
        monthly_pay=np.asarray(pay * np.where(part_time, 0.55, 1.0), dtype=np.float64),
        part_time=part_time,
        job_loss=job_loss,
    )
    return work, Chain(draws=draws, initial=initial, finding=finding)


def replay_employment(
    eligible: npt.NDArray[np.bool_],
    draws: npt.NDArray[np.float32],
    starts_employed: BoolArray,
    finding: npt.NDArray[np.float64],
    job_loss: FloatArray,
) -> npt.NDArray[np.bool_]:
    """Run the monthly chain on given draws (the same draws give the counterfactual)."""
    n, months = eligible.shape
    employed = np.zeros((n, months), dtype=bool)
    state = np.zeros(n, dtype=bool)
    before = np.zeros(n, dtype=bool)
    initial = starts_employed
    for m in range(months):
        now = eligible[:, m]
        step = np.where(state, draws[:, m] >= job_loss, draws[:, m] < finding[:, m])
        state = np.where(now & ~before, initial, np.where(now & before, step, False))
        employed[:, m] = state
        before = now
    return employed


def runs(matrix: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray, IntArray]:
    """Maximal runs of True per row: (row, first column, last column)."""
    padded = np.zeros((matrix.shape[0], matrix.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = matrix
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)
    return rows.astype(np.int64), starts.astype(np.int64), (ends - 1).astype(np.int64)
