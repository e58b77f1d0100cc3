"""Balance: SMDs as defined in the literature; matching improves them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.analyses.balance import balance_table, love_plot, standardised_differences
from nightingale.analyses.matching import nearest_neighbour_match
from nightingale.analyses.propensity import estimate_propensity
from tests.analyses.simulate import confounded_people


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30),
    levels=st.lists(st.sampled_from("abc"), min_size=2, max_size=30),
)
def test_identical_groups_have_zero_smd(values: list[float], levels: list[str]) -> None:
    n = min(len(values), len(levels))
    half = pd.DataFrame({"x": values[:n], "g": levels[:n]})
    frame = pd.concat([half.assign(t=1), half.assign(t=0)], ignore_index=True)
    table = standardised_differences(frame, "t", ["x", "g"])
    assert np.allclose(table["smd"], 0.0)


def test_smd_is_the_mean_difference_over_the_pooled_sd() -> None:
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {"x": np.r_[rng.normal(1, 2, 500), rng.normal(0, 1, 500)], "t": np.r_[[1] * 500, [0] * 500]}
    )
    treated, control = frame.x[frame.t == 1], frame.x[frame.t == 0]
    expected = (treated.mean() - control.mean()) / np.sqrt(
        (treated.var(ddof=0) + control.var(ddof=0)) / 2
    )
    table = standardised_differences(frame, "t", ["x"])
    assert table.loc[0, "smd"] == pytest.approx(expected)


def test_categorical_covariates_get_one_row_per_level() -> None:
    people = confounded_people(300, seed=9)
    table = standardised_differences(people, "treated", ["area"])
    assert table["variable"].tolist() == ["area=east", "area=north", "area=south"]


def test_matching_on_the_propensity_score_improves_balance() -> None:
    people = confounded_people(3000, seed=10)
    covariates = ["age", "frail", "area"]
    scores = estimate_propensity(people, "treated", covariates)
    matched = nearest_neighbour_match(scores.logit, people["treated"], caliper=0.2)
    table = balance_table(people, "treated", covariates, matched.weights)
    assert table["smd_before"].abs().max() > 0.3
    assert table["smd_after"].abs().max() < 0.1
    assert table["balanced_after"].all()
    figure = love_plot(table)
    assert len(figure.axes[0].collections) == 2
