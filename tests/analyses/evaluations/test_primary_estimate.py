"""The plan's primary estimate targets the effect on *all* the treated.

When the treated are sicker than the comparison group and the effect grows with
sickness, a caliper drops the sickest treated people, so the matched estimate describes
a healthier group and falls short of the effect on everyone treated. The doubly robust
comparison (ATT weights plus covariate adjustment, everyone kept) does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.analyses.evaluations.outcomes import Samples, main_rows
from nightingale.analyses.matching import nearest_neighbour_match
from nightingale.analyses.plan import Outcome, parse_plan
from nightingale.analyses.propensity import estimate_propensity
from nightingale.analyses.weighting import ipw_weights

PLAN = """
plan: test
version: "0"
registered: "2026-11-28"
title: heterogeneous effect, poor overlap
release_project: test
eq5d_value_set: synthetic_region
comparison:
  treatment: treated
  primary: {primary}
  covariates: [sickness]
outcomes:
  - {{name: score, kind: share}}
"""


def _samples(seed: int, primary: str = "doubly_robust") -> tuple[Samples, float]:
    """One row per person; the effect is 0.2 + 0.2 x sickness; returns the true ATT."""
    rng = np.random.default_rng(seed)
    n = 3000
    sickness = rng.normal(0.0, 1.0, n)
    treated = (rng.random(n) < 1 / (1 + np.exp(0.3 - 1.6 * sickness))).astype(int)
    effect = 0.2 + 0.2 * sickness
    score = 1.0 + 0.5 * sickness + treated * effect + rng.normal(0.0, 0.5, n)
    pid = np.array([f"p{i}" for i in range(n)], dtype=object)
    persons = pd.DataFrame({"pid": pid, "treated": treated, "sickness": sickness}, index=pid)
    scores = estimate_propensity(persons, "treated", ["sickness"])
    matched = nearest_neighbour_match(scores.logit, persons["treated"], caliper=0.2, seed=1)
    persons["match_weight"] = matched.weights.reindex(persons.index).fillna(0.0)
    persons["ipw"] = ipw_weights(scores.scores, persons["treated"], "ATT")
    panel = persons.reset_index(drop=True).assign(score_y=score, score_days=1.0)
    plan = parse_plan(PLAN.format(primary=primary)).plan
    return Samples(persons, panel, ["sickness"], plan), float(effect[treated == 1].mean())


@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_doubly_robust_recovers_the_effect_on_all_treated_where_matching_falls_short(
    seed: int,
) -> None:
    samples, att = _samples(seed)
    rows, _primary = main_rows(samples, Outcome(name="score", kind="share"))
    by = {row["analysis"]: row for row in rows}
    robust, matched = by["doubly_robust"], by["matched"]
    assert abs(robust["estimate"] - att) < 3 * robust["std_error"]
    assert matched["ci_high"] < att  # it describes the matched, healthier treated
    assert by["naive"]["estimate"] > att + 0.3  # sicker people score higher: confounded


@given(primary=st.sampled_from(["doubly_robust", "matched"]))
@settings(max_examples=2, deadline=None)
def test_exactly_the_plans_primary_analysis_is_marked_primary(primary: str) -> None:
    samples, _att = _samples(3, primary)
    rows, result = main_rows(samples, Outcome(name="score", kind="share"))
    assert [row["analysis"] for row in rows if row["primary"]] == [primary]
    chosen = next(row for row in rows if row["primary"])
    assert result.tables["estimates"].iloc[0]["estimate"] == chosen["estimate"]
