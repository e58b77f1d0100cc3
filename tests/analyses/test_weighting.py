"""Inverse-probability weights recover the effect a confounded comparison hides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.weighting import effective_sample_size, ipw_weights
from nightingale.platform.errors import NightingaleError
from tests.analyses.simulate import confounded_people


def _weighted_difference(frame: pd.DataFrame, weights: pd.Series, column: str) -> float:
    z = frame["treated"] == 1
    mean_t = np.average(frame.loc[z, column], weights=weights[z])
    mean_c = np.average(frame.loc[~z, column], weights=weights[~z])
    return float(mean_t - mean_c)


@pytest.mark.parametrize("estimand", ["ATE", "ATT"])
def test_true_scores_give_back_the_true_shift(estimand: str) -> None:
    shift = 0.05
    people = confounded_people(20_000, seed=4, shift=shift)
    naive = people.groupby("treated")["utility"].mean().diff().iloc[-1]
    weights = ipw_weights(people["true_ps"], people["treated"], estimand)  # type: ignore[arg-type]
    weighted = _weighted_difference(people, weights, "utility")
    assert abs(naive - shift) > 0.03  # the naive comparison is visibly biased
    assert weighted == pytest.approx(shift, abs=0.01)


def test_att_weights_leave_the_treated_alone() -> None:
    people = confounded_people(500, seed=5)
    weights = ipw_weights(people["true_ps"], people["treated"], "ATT", stabilise=False)
    treated = people["treated"] == 1
    assert weights[treated].eq(1.0).all()
    p = people.loc[~treated, "true_ps"]
    np.testing.assert_allclose(weights[~treated], p / (1 - p))


def test_stabilised_ate_weights_keep_the_sample_size() -> None:
    people = confounded_people(5000, seed=6)
    weights = ipw_weights(people["true_ps"], people["treated"], "ATE")
    assert weights.sum() == pytest.approx(len(people), rel=0.05)


def test_truncation_caps_extreme_weights() -> None:
    people = confounded_people(2000, seed=7)
    weights = ipw_weights(people["true_ps"], people["treated"], truncate=(0.0, 0.9))
    assert weights.max() == pytest.approx(
        np.quantile(ipw_weights(people["true_ps"], people["treated"]), 0.9)
    )


def test_effective_sample_size_of_equal_weights_is_the_count() -> None:
    assert effective_sample_size(pd.Series([2.0] * 40)) == pytest.approx(40)


def test_scores_of_zero_or_one_are_refused() -> None:
    with pytest.raises(NightingaleError, match="strictly"):
        ipw_weights(pd.Series([0.0, 0.5]), pd.Series([1, 0]))
