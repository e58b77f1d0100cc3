"""Difference-in-differences and event studies recover a fixed effect on a panel."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

from nightingale.analyses.did import difference_in_differences, event_study
from tests.analyses.simulate import panel_with_effect


def test_did_covers_the_effect_that_a_post_only_comparison_misses() -> None:
    panel = panel_with_effect(800, seed=21, effect=0.4)
    result = difference_in_differences(
        panel, "y", unit="unit", treatment="treated", post="post", time="period"
    )
    row = result.estimate("y difference")
    assert row["ci_low"] < 0.4 < row["ci_high"]
    after = panel[panel.post == 1].groupby("treated")["y"].mean().diff().iloc[-1]
    assert after > 0.4 + 5 * row["std_error"]  # baseline differences bias a post-only look


def test_did_standard_errors_are_statsmodels_cluster_robust_ones() -> None:
    panel = panel_with_effect(300, seed=22, effect=0.0)
    result = difference_in_differences(panel, "y", unit="unit", treatment="treated", post="post")
    reference = smf.ols("y ~ treated * post", panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel["unit"]}
    )
    row = result.estimate("y difference")
    assert row["estimate"] == pytest.approx(reference.params["treated:post"])
    assert row["std_error"] == pytest.approx(reference.bse["treated:post"], rel=1e-6)


def test_poisson_did_gives_the_rate_ratio() -> None:
    panel = panel_with_effect(1500, seed=23, effect=np.log(0.75))
    result = difference_in_differences(
        panel,
        "events",
        unit="unit",
        treatment="treated",
        post="post",
        time="period",
        family="poisson",
        exposure="days",
    )
    row = result.estimate("events rate ratio")
    assert row["ci_low"] < 0.75 < row["ci_high"]


def test_event_study_is_flat_before_and_shows_the_effect_after() -> None:
    panel = panel_with_effect(1500, seed=24, effect=0.5, periods=5, first_post=2)
    result = event_study(panel, "y", unit="unit", treatment="treated", time="period", reference=1)
    table = result.tables["event_study"].set_index("period")
    assert table.loc[1, "reference"]
    assert table.loc[0, "ci_low"] < 0 < table.loc[0, "ci_high"]
    for period in (2, 3, 4):
        assert table.loc[period, "ci_low"] < 0.5 < table.loc[period, "ci_high"]
    assert "event_study" in result.figures
