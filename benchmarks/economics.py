"""Economics speed: the trial bootstrap and a model PSA, against the issue's limits.

1. A 5,000-replicate paired bootstrap of SUR-adjusted incremental costs and QALYs, and
   the INMB at GBP 20,000 and 30,000, on 10,000 simulated people (limit 5 s).
2. A 10,000-draw PSA of a 4-state, 40-cycle model — the Sick-Sicker example file cut to
   40 cycles with a half-cycle correction — with its CEAC and EVPI (limit 10 s).

Prints one line with both times.

    .venv/bin/python benchmarks/economics.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from nightingale.analyses.economics.bootstrap import bootstrap_increments
from nightingale.analyses.economics.markov.run import run_psa
from nightingale.analyses.economics.markov.spec import load_model

EXAMPLE = Path(__file__).resolve().parents[1] / "nightingale/analyses/economics/examples"


def trial(n: int = 10_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "treated": rng.integers(0, 2, n),
            "baseline_cost": rng.gamma(2.0, 500.0, n),
            "baseline_utility": rng.beta(5.0, 2.0, n),
            "age": rng.integers(18, 90, n).astype(float),
            "female": rng.integers(0, 2, n).astype(float),
        }
    )
    frame["cost"] = 0.5 * frame["baseline_cost"] + 900 * frame["treated"] + rng.gamma(2, 800, n)
    frame["qaly"] = (
        0.6 * frame["baseline_utility"] + 0.04 * frame["treated"] + rng.normal(0, 0.1, n)
    )
    return frame


def bootstrap_seconds() -> float:
    frame = trial()
    start = time.perf_counter()
    result = bootstrap_increments(
        frame,
        treatment="treated",
        cost="cost",
        effect="qaly",
        cost_covariates=("baseline_cost", "age", "female"),
        effect_covariates=("baseline_utility", "age", "female"),
        replicates=5_000,
        seed=7,
    )
    for threshold in (20_000.0, 30_000.0):
        result.interval(result.inmb(threshold))
    return time.perf_counter() - start


def psa_seconds() -> float:
    spec, folder = load_model(EXAMPLE / "sick_sicker.yaml")
    short = spec.model_copy(update={"cycles": 40, "correction": "half_cycle"})
    start = time.perf_counter()
    result = run_psa(short, folder, samples=10_000, seed=11)
    assert result.costs.shape == (10_000, 4) and len(short.states) == 4
    return time.perf_counter() - start


def main() -> None:
    boot, psa = bootstrap_seconds(), psa_seconds()
    verdict = "ok" if boot <= 5 and psa <= 10 else "TOO SLOW"
    print(
        f"economics: bootstrap 5,000 x 10,000 people (SUR, INMB) {boot:.2f} s (limit 5); "
        f"PSA 10,000 draws x 4 states x 40 cycles (CEAC, EVPI) {psa:.2f} s (limit 10): {verdict}"
    )


if __name__ == "__main__":
    main()
