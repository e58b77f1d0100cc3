"""Validity of the pilot's evaluation: bias and coverage over seeded synthetic regions.

    .venv/bin/python benchmarks/evaluation_validity.py --replicates 50

For each replicate r = 1..R this generates one synthetic region of 100,000 people (about
3,600 pilot tenants; ``--people`` to change) with seed r, runs the
registered analysis plan (``dfh_pilot_plan.yaml``; main estimates: doubly robust,
matched, IPW and naive) on it, and compares each main outcome's estimate with the truth
that the generator declares for that region (``realised_att`` of ``truth/effects.json``,
the generator's own tally over all the treated people's counterfactual outcomes). It
prints one line per main outcome::

    outcome=NAME true=X mean_estimate=Y bias=Z coverage=C naive_bias=W

``true`` is the mean of the replicates' declared effects and ``mean_estimate`` the mean
of the plan's *primary* estimates (``comparison.primary``; for rate ratios both are
geometric means: averaged on the log scale); ``bias`` is their difference; ``coverage``
is the share of replicates whose 95% interval contains their truth; ``naive_bias`` the
same bias for the unweighted, unadjusted comparison. Lines starting with ``#`` add the
bias relative to the effect (distance of the truth from no effect: 1 for rate ratios, 0
for differences) with its Monte Carlo standard error (the spread of estimate minus
truth over sqrt(R): with about 350 treated people per region several effects are small
against their sampling error, and a bias "within 10%" cannot be told from zero at
R = 50), and the other analyses' bias and coverage.

**What this covers, and what it does not.** Running synth -> ingest -> link -> build for
every replicate is too slow for R = 50 on one machine, so each replicate runs the
synthetic region's data-generating process in memory
(``nightingale.synth.world.simulate``: population, homes, pilot allocation,
health events, questionnaires, work) and turns the pilot cohort into release-shaped
``persons`` and ``panel`` frames with the contract's column names
(``nightingale.analyses.evaluations.synthetic_release``). The evaluation code then runs
exactly as on a release. Not covered: identifier and linkage errors (the frames use the
true person); the cohort builder's own derivations (it counts periods in months, the
frames in days: 0-182-365-730-1096-1461 after the index date); generalisation beyond
age bands and IMD quintiles. Like the extracts, only GP-registered people's events
count. Linkage error would bias estimates toward no effect; the linkage benchmarks
measure it, not this one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the machine's cores are shared
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH, evaluate
from nightingale.analyses.evaluations.synthetic_release import one_region
from nightingale.analyses.plan import load_plan


def summarise(part: pd.DataFrame, analyses: list[str]) -> dict[str, Any] | None:
    """Bias, coverage and spread of one outcome's estimates over the replicates.

    Rate ratios are averaged on the log scale (a geometric mean: the mean of ratios is
    biased upward by Jensen's inequality even when the log estimates are unbiased), and
    their standard errors are those of the log ratio. ``analyses[0]`` is the primary.
    """
    if part.empty:
        return None
    ratio = part["scale"].iloc[0] == "rate_ratio"
    transform = np.log if ratio else (lambda x: x)
    back = np.exp if ratio else (lambda x: x)
    null = 1.0 if ratio else 0.0
    true = float(back(transform(part["true"]).mean()))
    out: dict[str, Any] = {"true": true, "n": len(part)}
    for analysis in [*analyses, "naive"]:
        mean = float(back(transform(part[analysis]).mean()))
        error = transform(part[analysis]) - transform(part["true"])
        out[analysis] = {
            "mean_estimate": mean,
            "bias": mean - true,
            "relative_bias": (mean - true) / (true - null),
            "relative_mcse": float(error.std() / np.sqrt(len(part)) / abs(true - null)),
            "coverage": float(part[f"{analysis}_covered"].mean()),
            "empirical_sd": float(transform(part[analysis]).std()),
            "mean_se": float(part[f"{analysis}_se"].mean()),
        }
    out["scale_note"] = "log scale" if ratio else "natural scale"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=50)
    parser.add_argument(
        "--people",
        type=int,
        default=100_000,
        help="people per region (100,000: about 3,600 pilot tenants, as a real pilot; at "
        "the demo's 20,000 the Monte Carlo error of a bias is 8-60%% of the effect)",
    )
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--plan", type=Path, default=PLAN_PATH, help="analysis plan YAML")
    args = parser.parse_args()
    plan = load_plan(args.plan)
    primary = plan.plan.comparison.primary
    analyses = [primary, *(a for a in ("doubly_robust", "matched", "ipw") if a != primary)]
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
            record: dict[str, Any] = {
                "outcome": name, "seed": seed, "true": truth,
                "scale": by.loc[(name, primary), "scale"],
            }  # fmt: skip
            for analysis in [*analyses, "naive"]:
                row = by.loc[(name, analysis)]
                record[analysis] = row["estimate"]
                record[f"{analysis}_se"] = row["std_error"]
                record[f"{analysis}_covered"] = row["ci_low"] <= truth <= row["ci_high"]
            records.append(record)
    frame = pd.DataFrame(records)
    summaries = [summarise(frame[frame["outcome"] == name], analyses) for name in main_outcomes]
    for name, summary in zip(main_outcomes, summaries, strict=True):
        if summary is not None:
            s, naive = summary[primary], summary["naive"]
            print(
                f"outcome={name} true={summary['true']:.4g} "
                f"mean_estimate={s['mean_estimate']:.4g} bias={s['bias']:.3g} "
                f"coverage={s['coverage']:.2f} naive_bias={naive['bias']:.3g}"
            )
    print(f"# primary analysis: {primary} (plan {plan.plan.version}, sha256 {plan.sha256[:12]})")
    for name, summary in zip(main_outcomes, summaries, strict=True):
        if summary is None:
            continue
        s = summary[primary]
        others = "; ".join(
            f"{a} bias {summary[a]['relative_bias']:+.1%}, coverage {summary[a]['coverage']:.2f}"
            for a in analyses[1:]
        )
        print(
            f"# {name}: bias {s['relative_bias']:+.1%} of the effect (Monte Carlo SE "
            f"{s['relative_mcse']:.1%}); empirical SD of estimates {s['empirical_sd']:.3g} vs "
            f"mean standard error {s['mean_se']:.3g} ({summary['scale_note']}; "
            f"{summary['n']} replicates); {others}"
        )
    elapsed = time.perf_counter() - started
    print(f"# {args.replicates} regions of {args.people} people in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
