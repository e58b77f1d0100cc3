"""Small simulated data sets with known effects, shared by the analyses tests.

Every generator takes a seed and builds its own numpy Generator; the effects are
parameters, so a test states the answer it expects instead of hard-coding a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def confounded_people(n: int, seed: int, *, rate_ratio: float = 0.7, shift: float = 0.05):
    """People whose treatment depends on covariates that also drive the outcomes.

    Columns: ``pid``, ``age`` (numeric), ``frail`` (0/1), ``area`` (text, 3 levels),
    ``treated``, ``true_ps``, ``days`` (time at risk), ``admissions`` (Poisson with the
    given rate ratio for treatment), ``utility`` (normal, shifted by ``shift`` when
    treated). Sicker people are more likely to be treated, so a naive comparison is
    biased against treatment.
    """
    rng = np.random.default_rng(seed)
    age = rng.normal(50, 12, n)
    frail = rng.binomial(1, 0.3, n)
    area = rng.choice(["north", "south", "east"], n)
    area_effect = pd.Series(area).map({"north": 0.3, "south": 0.0, "east": -0.2}).to_numpy()
    linear = -1.0 + 0.04 * (age - 50) + 1.0 * frail + area_effect
    true_ps = 1 / (1 + np.exp(-linear))
    treated = rng.binomial(1, true_ps)
    days = rng.integers(90, 366, n).astype(float)
    log_rate = np.log(1.0 / 365) + 0.02 * (age - 50) + 0.8 * frail + area_effect
    admissions = rng.poisson(np.exp(log_rate + np.log(rate_ratio) * treated) * days)
    utility = 0.8 - 0.004 * (age - 50) - 0.15 * frail + shift * treated + rng.normal(0, 0.1, n)
    return pd.DataFrame(
        {
            "pid": [f"p{i:05d}" for i in range(n)],
            "age": age,
            "frail": frail,
            "area": area,
            "treated": treated,
            "true_ps": true_ps,
            "days": days,
            "admissions": admissions,
            "utility": utility,
        }
    )


def panel_with_effect(
    n_units: int, seed: int, *, effect: float, periods: int = 4, first_post: int = 2
) -> pd.DataFrame:
    """A balanced panel where treated units differ at baseline and gain ``effect`` after.

    Columns: ``unit``, ``period``, ``treated``, ``post``, ``y`` (continuous: unit level +
    common trend + effect), ``events`` and ``days`` (Poisson counts with rate ratio
    ``exp(effect)`` after treatment). Units' own levels are correlated with treatment,
    so only a comparison of changes recovers the effect.
    """
    rng = np.random.default_rng(seed)
    treated = rng.binomial(1, 0.5, n_units)
    level = rng.normal(0, 1, n_units) + 0.8 * treated
    rows = []
    for p in range(periods):
        post = int(p >= first_post)
        days = rng.integers(150, 184, n_units).astype(float)
        y = level + 0.3 * p + effect * treated * post + rng.normal(0, 0.5, n_units)
        rate = np.exp(-4.0 + 0.5 * level + 0.1 * p + effect * treated * post)
        rows.append(
            pd.DataFrame(
                {
                    "unit": np.arange(n_units),
                    "period": p,
                    "treated": treated,
                    "post": post,
                    "y": y,
                    "events": rng.poisson(rate * days),
                    "days": days,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
