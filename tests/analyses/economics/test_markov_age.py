"""Time-varying transitions and transition rewards: the age-dependent Sick-Sicker file
against an independent, line-by-line transcription of the DARTH script
(analysis/cSTM_time_dep_simulation.R) written with plain numpy below."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.economics.markov.run import run_base_case
from nightingale.analyses.economics.markov.spec import load_model

EXAMPLES = Path(__file__).resolve().parents[3] / "nightingale/analyses/economics/examples"


def darth_script() -> dict[str, tuple[float, float]]:
    """The R script's computation, transcribed: transition-dynamics array and rewards."""
    n_cycles, age0 = 75, 25
    table = pd.read_csv(EXAMPLES / "data/us_life_table_2015.csv")
    r_hd = table.set_index("age").loc[age0 : age0 + n_cycles - 1, "total"].to_numpy()

    def r2p(r: np.ndarray | float) -> np.ndarray:
        return np.asarray(1 - np.exp(-np.asarray(r)))

    p_hs1, p_s1h, p_s1s2, p_s1s2_b = r2p(0.15), r2p(0.5), r2p(0.105), r2p(0.105 * 0.6)
    p_hd, p_s1d, p_s2d = r2p(r_hd), r2p(r_hd * 3), r2p(r_hd * 10)
    position = np.arange(1, n_cycles + 2)
    wcc = np.where(position % 2 == 0, 2 / 3, 4 / 3)
    wcc[0] = wcc[-1] = 1 / 3
    disc = 1 / 1.03 ** np.arange(n_cycles + 1)
    results = {}
    for name, p12, u1, add_c in (
        ("Standard of care", p_s1s2, 0.75, 0),
        ("Strategy A", p_s1s2, 0.95, 12000),
        ("Strategy B", p_s1s2_b, 0.75, 13000),
        ("Strategy AB", p_s1s2_b, 0.95, 25000),
    ):
        a = np.zeros((n_cycles, 4, 4))
        a[:, 0, 0], a[:, 0, 1], a[:, 0, 3] = (1 - p_hd) * (1 - p_hs1), (1 - p_hd) * p_hs1, p_hd
        a[:, 1, 0], a[:, 1, 1] = (1 - p_s1d) * p_s1h, (1 - p_s1d) * (1 - (p_s1h + p12))
        a[:, 1, 2], a[:, 1, 3] = (1 - p_s1d) * p12, p_s1d
        a[:, 2, 2], a[:, 2, 3], a[:, 3, 3] = 1 - p_s2d, p_s2d, 1
        m = np.zeros((n_cycles + 1, 4))
        m[0] = [1, 0, 0, 0]
        dynamics = np.zeros((n_cycles + 1, 4, 4))
        dynamics[0] = np.diag(m[0])
        for t in range(n_cycles):
            m[t + 1] = m[t] @ a[t]
            dynamics[t + 1] = np.diag(m[t]) @ a[t]
        u = np.tile([1.0, u1, 0.5, 0.0], (4, 1))  # matrix(v_u, byrow = TRUE)
        c = np.tile([2000.0, 4000 + add_c, 15000 + add_c, 0.0], (4, 1))
        u[0, 1] -= 0.01
        c[0, 1] += 1000
        c[:3, 3] += 2000
        qaly = (dynamics * u).sum(axis=(1, 2))
        cost = (dynamics * c).sum(axis=(1, 2))
        results[name] = (float(cost @ (disc * wcc)), float(qaly @ (disc * wcc)))
    return results


def test_age_dependent_model_matches_the_transcribed_darth_script() -> None:
    result = run_base_case(*load_model(EXAMPLES / "sick_sicker_age.yaml"))
    expected = darth_script()
    for outcome in result.outcomes:
        cost, effect = expected[outcome.name]
        assert outcome.costs[0] == pytest.approx(cost, rel=1e-10)
        assert outcome.effects[0] == pytest.approx(effect, rel=1e-10)


def test_age_dependent_mortality_shortens_life_compared_with_a_constant_rate() -> None:
    aged = run_base_case(*load_model(EXAMPLES / "sick_sicker_age.yaml"))
    constant = run_base_case(*load_model(EXAMPLES / "sick_sicker.yaml"))
    assert aged.outcomes[0].effects[0] < constant.outcomes[0].effects[0]
