"""Validity of the pilot's evaluation: bias and coverage over seeded synthetic regions.

    .venv/bin/python benchmarks/evaluation_validity.py --replicates 50

For each replicate r = 1..R this generates one synthetic region with seed r, runs the
registered analysis plan (``dfh_pilot_plan.yaml``, main estimates: matched, IPW and
naive) on it, and compares each main outcome's estimate with the truth that the
generator declares for that region (``realised_att`` of ``truth/effects.json``, computed
by the generator's own tally from the treated people's counterfactual outcomes). It
prints one line per main outcome::

    outcome=NAME true=X mean_estimate=Y bias=Z coverage=C naive_bias=W

``true`` is the mean of the replicates' declared effects; ``bias`` is the mean of
(matched estimate - that replicate's truth); ``coverage`` is the share of replicates
whose 95% interval contains their truth; ``naive_bias`` the same bias for the unmatched,
unadjusted comparison. Lines starting with ``#`` add the bias relative to the effect
(distance of the truth from no effect: 1 for rate ratios, 0 for differences).

**What this covers, and what it does not.** Running synth -> ingest -> link -> build for
every replicate is too slow for R = 50 on one machine, so each replicate runs the
synthetic region's data-generating process in memory
(``nightingale.platform.synth.world.simulate``: population, homes, pilot allocation,
health events, questionnaires, work) and turns the pilot cohort into release-shaped
``persons`` and ``panel`` frames with the contract's column names, here, in
:func:`release_frames`. The evaluation code then runs exactly as on a release. Not
covered: identifier errors, linkage errors (the frames use the true person), the cohort
builder's own derivations (its month-based period boundaries, k-anonymity
generalisation beyond age bands and IMD quintiles); the frames use day-based periods
(0-182-365-730-1096-1461 days) and count only events of GP-registered people, as the
extracts do. Linkage error would bias estimates toward no effect; it is measured by the
linkage benchmarks, not here.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the machine's cores are shared
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd

from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH, evaluate
from nightingale.analyses.plan import load_plan
from nightingale.platform.synth.config import SynthConfig
from nightingale.platform.synth.dates import DAYS_PER_YEAR, month_index, month_start
from nightingale.platform.synth.geography import build_geography
from nightingale.platform.synth.truth import EffectTally, effects_document, tally
from nightingale.platform.synth.world import World, simulate

PERIOD_BOUNDS = np.array([0, 182, 365, 730, 1096, 1461])
AGE_CUTS = [16, 25, 35, 45, 55, 65, 75]
AGE_LABELS = ["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]


def _per_member(world: World, events_kind: str, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Events of GP-registered people on [start, end) per cohort member."""
    n = len(world.people)
    events = world.events[events_kind]
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
            "index_month": "",
            "age_band": np.array(AGE_LABELS, dtype=object)[np.digitize(age, AGE_CUTS)],
            "sex": np.where(people.female[p], "F", "M"),
            "imd_quintile": (world.imd[p] + 1) // 2,
            "ltc_count": np.minimum(people.ltc[p], 3),
            "employed_pre": world.work.employed[p, np.maximum(first_month - 1, 0)].astype(int),
            "earnings_pre": np.round((world.work.employed[p] * pay * before).sum(axis=1), 2),
            "emergency_admissions_pre": _per_member(world, "emergency", index - 365, index),
            "ae_attendances_pre": _per_member(world, "ae", index - 365, index),
            "gp_consultations_pre": _per_member(world, "gp", index - 365, index),
            "eq5d_pre": _latest_profile(world, np.array([0]), index - 365, index + 1),
            "died": (cohort.end_reason == "died").astype(int),
            "followup_days": end - index,
        }
    )
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
                    "eq5d": _latest_profile(world, np.arange(1, 6), start, stop),
                    **_work(world, start, stop),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=50)
    parser.add_argument("--people", type=int, default=20_000, help="people per region")
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    plan = load_plan(PLAN_PATH)
    main_outcomes = [o.name for o in plan.plan.outcomes if o.main]
    records: list[dict[str, Any]] = []
    started = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.replicates):
        persons, panel, effects = one_region(seed, args.people)
        table = evaluate(persons, panel, plan, detail=False).tables["main_estimates"]
        by = table.set_index(["outcome", "analysis"])
        for name in main_outcomes:
            truth = effects[name]["realised_att"]
            if truth is None:
                continue
            m, naive = by.loc[(name, "matched")], by.loc[(name, "naive")]
            records.append(
                {
                    "outcome": name, "seed": seed, "true": truth, "scale": m["scale"],
                    "estimate": m["estimate"], "naive": naive["estimate"],
                    "covered": m["ci_low"] <= truth <= m["ci_high"],
                }
            )  # fmt: skip
    frame = pd.DataFrame(records)
    for name in main_outcomes:
        part = frame[frame["outcome"] == name]
        if part.empty:
            continue
        true = part["true"].mean()
        bias = (part["estimate"] - part["true"]).mean()
        naive_bias = (part["naive"] - part["true"]).mean()
        print(
            f"outcome={name} true={true:.4g} mean_estimate={part['estimate'].mean():.4g} "
            f"bias={bias:.3g} coverage={part['covered'].mean():.2f} naive_bias={naive_bias:.3g}"
        )
    for name in main_outcomes:
        part = frame[frame["outcome"] == name]
        if part.empty:
            continue
        null = 1.0 if part["scale"].iloc[0] == "rate_ratio" else 0.0
        effect = part["true"].mean() - null
        bias = (part["estimate"] - part["true"]).mean()
        print(
            f"# {name}: bias relative to the effect {bias / effect:+.1%} (replicates {len(part)})"
        )
    elapsed = time.perf_counter() - started
    print(f"# {args.replicates} regions of {args.people} people in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
