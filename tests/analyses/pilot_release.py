"""A small release-shaped pilot (persons + panel with the contract's names) and its truth.

Allocation depends on observed baseline covariates that also drive the outcomes, so a
naive comparison is biased and an adjusted one is not. Effects are parameters; the
utility effect is reported as the realised average on the treated (counterfactual
questionnaires are drawn with the same noise), as the synthetic region's truth does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERIOD_DAYS = np.array([182.625, 182.625, 365.25, 365.25, 365.25])
AGE_BANDS = np.array(["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"])
RATE_RATIOS = {"emergency_admissions": 0.8, "ae_attendances": 0.85, "gp_consultations": 0.92}
BASE_RATES = {"emergency_admissions": 0.25, "ae_attendances": 0.5, "gp_consultations": 5.0}
#: The plan's condition-specific counts, drawn from their own generator (the draws above
#: are unchanged by them): rarer events with their own effects.
CONDITION_RATE_RATIOS = {
    "respiratory_admissions": 0.7, "falls_admissions": 0.75, "mental_health_contacts": 0.8,
}  # fmt: skip
CONDITION_BASE_RATES = {
    "respiratory_admissions": 0.05, "falls_admissions": 0.03, "mental_health_contacts": 0.6,
}  # fmt: skip


def _profiles(severity: np.ndarray, noise: np.ndarray) -> np.ndarray:
    levels = np.clip(np.rint(1 + severity[:, None] + noise), 1, 5).astype(int)
    return np.array(["".join(map(str, row)) for row in levels], dtype=object)


def _utility(profiles: np.ndarray) -> np.ndarray:
    from nightingale.synth.eq5d import utility

    return np.array([utility(p) for p in profiles])


def pilot_release(
    n: int, seed: int, severity_shift: float = 0.3
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """(persons, panel, truth) for ``n`` lead tenants."""
    rng = np.random.default_rng(seed)
    conditions_rng = np.random.default_rng([seed, 18])
    band = rng.integers(0, len(AGE_BANDS), n)
    female = rng.random(n) < 0.55
    imd = rng.integers(1, 6, n)
    ltc = np.minimum(rng.poisson(0.3 + 0.25 * band), 3)
    frail = rng.normal(0, 0.3, n)
    log_mult = 0.25 * ltc + 0.08 * (5 - imd) + frail
    pre = {k: rng.poisson(r * np.exp(log_mult)) for k, r in BASE_RATES.items()}
    employed_pre = (rng.random(n) < 0.6 - 0.1 * ltc).astype(int)
    earnings_pre = np.round(employed_pre * rng.gamma(4, 4000, n), 2)
    linear = (
        -1.2 + 0.1 * band + 0.1 * female + 0.1 * (5 - imd) + 0.35 * ltc
        + 0.5 * np.log1p(pre["emergency_admissions"]) + 0.3 * np.log1p(pre["ae_attendances"])
    )  # fmt: skip
    treated = (rng.random(n) < 1 / (1 + np.exp(-linear))).astype(int)
    followup = np.minimum(rng.exponential(2500, n), PERIOD_DAYS.sum())
    followup = np.maximum(np.rint(followup), 30)
    starts = np.r_[0, np.cumsum(PERIOD_DAYS)[:-1]]
    severity = 0.6 + 0.25 * ltc + 0.1 * (5 - imd) + frail
    baseline_profiles = _profiles(severity, rng.normal(0, 0.7, (n, 5)))
    baseline_profiles[rng.random(n) < 0.1] = None
    rows, observed_u, counterfactual_u = [], [], []
    for period, (start, length) in enumerate(zip(starts, PERIOD_DAYS, strict=True)):
        tar = np.clip(followup - start, 0, length)
        counts = {
            k: rng.poisson(r / 365.25 * np.exp(log_mult) * RATE_RATIOS[k] ** treated * tar)
            for k, r in BASE_RATES.items()
        }
        counts.update(
            {
                k: conditions_rng.poisson(
                    r / 365.25 * np.exp(log_mult) * CONDITION_RATE_RATIOS[k] ** treated * tar
                )
                for k, r in CONDITION_BASE_RATES.items()
            }
        )
        noise = rng.normal(0, 0.7, (n, 5))
        observed = _profiles(severity - severity_shift * treated, noise)
        untreated = _profiles(severity, noise)
        answered = (tar > 0) & (rng.random(n) > 0.1)
        take = answered & (treated == 1)
        observed_u.append(_utility(observed[take]))
        counterfactual_u.append(_utility(untreated[take]))
        p_employed = np.clip(0.55 - 0.1 * ltc + 0.08 * treated, 0.02, 0.98)
        employed_days = rng.binomial(tar.astype(int), p_employed)
        rows.append(
            pd.DataFrame(
                {
                    "pid": [f"{i:016x}" for i in range(n)],
                    "period": period,
                    "period_start_month": "",
                    "period_end_month": "",
                    "time_at_risk_days": tar.astype(int),
                    **counts,
                    "bed_days": rng.poisson(3.0 * counts["emergency_admissions"]),
                    "eq5d": np.where(answered, observed, None),
                    "employed_days": employed_days,
                    "earnings": np.round(employed_days * rng.gamma(9, 7, n), 2),
                    "sickness_benefit_days": rng.binomial(tar.astype(int), 0.1 + 0.03 * ltc),
                }
            )
        )
    persons = pd.DataFrame(
        {
            "pid": [f"{i:016x}" for i in range(n)],
            "treated": treated,
            "age_band": AGE_BANDS[band],
            "sex": np.where(female, "F", "M"),
            "imd_quintile": imd,
            "ltc_count": ltc,
            "employed_pre": employed_pre,
            "earnings_pre": earnings_pre,
            "emergency_admissions_pre": pre["emergency_admissions"],
            "ae_attendances_pre": pre["ae_attendances"],
            "gp_consultations_pre": pre["gp_consultations"],
            "eq5d_pre": baseline_profiles,
            "died": (followup < PERIOD_DAYS.sum()).astype(int) * (rng.random(n) < 0.3),
            "followup_days": followup.astype(int),
        }
    )
    truth = {
        **RATE_RATIOS,
        **CONDITION_RATE_RATIOS,
        "eq5d": float(np.concatenate(observed_u).mean() - np.concatenate(counterfactual_u).mean()),
    }
    panel = pd.concat(rows, ignore_index=True)
    return persons, panel, truth
