"""A small release-shaped pilot (persons and panel as docs/developers.md pins them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

PERIODS = {0: (0, 6), 1: (6, 12), 2: (12, 24), 3: (24, 36), 4: (36, 48)}


def pilot_release(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treated people have fewer emergency admissions and better EQ-5D; some die or leave."""
    rng = np.random.default_rng(seed)
    treated = rng.integers(0, 2, n)
    pids = [f"{i:08x}" for i in range(n)]
    died = (rng.uniform(size=n) < 0.05).astype(int)
    followup = np.where(died == 1, rng.uniform(30, 700, n), 1461.0)
    censored = (died == 0) & (rng.uniform(size=n) < 0.08)
    followup = np.where(censored, rng.uniform(200, 700, n), followup)
    persons = pd.DataFrame(
        {
            "pid": pids,
            "treated": treated,
            "age_band": rng.choice(["25-34", "35-44", "45-54", "55-64"], n),
            "sex": rng.choice(["F", "M"], n),
            "imd_quintile": rng.integers(1, 6, n),
            "ltc_count": rng.integers(0, 4, n),
            "employed_pre": rng.integers(0, 2, n),
            "earnings_pre": rng.gamma(2, 8000, n),
            "emergency_admissions_pre": rng.poisson(0.4, n),
            "ae_attendances_pre": rng.poisson(0.8, n),
            "gp_consultations_pre": rng.poisson(5, n),
            "eq5d_pre": np.where(
                rng.uniform(size=n) < 0.05,
                None,
                rng.choice(["11111", "21121", "22232", "12111"], n),
            ),
            "died": died,
            "followup_days": followup,
        }
    )
    rows = []
    for i in range(n):
        for period, (start, end) in PERIODS.items():
            start_days, end_days = start * 30.44, end * 30.44
            if followup[i] <= start_days:
                continue
            at_risk = min(followup[i], end_days) - start_days
            months = at_risk / 30.44
            rate = 0.05 * (0.7 if treated[i] else 1.0)
            good = 0.8 if treated[i] else 0.6
            rows.append(
                {
                    "pid": pids[i],
                    "period": period,
                    "period_start_month": start,
                    "period_end_month": end,
                    "time_at_risk_days": at_risk,
                    "emergency_admissions": rng.poisson(rate * months),
                    "ae_attendances": rng.poisson(0.07 * months),
                    "gp_consultations": rng.poisson(0.4 * months),
                    "bed_days": rng.poisson(0.2 * months),
                    "eq5d": None
                    if rng.uniform() < 0.1
                    else ("11111" if rng.uniform() < good else "22222"),
                    "employed_days": rng.integers(0, int(at_risk) + 1),
                    "earnings": rng.gamma(2, 700 * months),
                    "sickness_benefit_days": rng.poisson(2.0 * months),
                }
            )
    return persons, pd.DataFrame(rows)
