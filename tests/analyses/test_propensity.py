"""Propensity scores: a logistic model of treatment, as statsmodels fits it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from nightingale.analyses.propensity import estimate_propensity, logit
from nightingale.platform.errors import NightingaleError
from tests.analyses.simulate import confounded_people


def test_scores_are_the_logistic_fit_statsmodels_gives() -> None:
    people = confounded_people(1500, seed=1)
    fitted = estimate_propensity(people, "treated", ["age", "frail", "area"])
    design = pd.get_dummies(people[["age", "frail", "area"]], columns=["area"], drop_first=True)
    reference = sm.Logit(people["treated"], sm.add_constant(design.astype(float))).fit(disp=0)
    np.testing.assert_allclose(fitted.scores, reference.predict(), rtol=1e-6)


def test_scores_track_the_true_allocation_probability() -> None:
    people = confounded_people(6000, seed=2)
    fitted = estimate_propensity(people, "treated", ["age", "frail", "area"])
    assert np.corrcoef(fitted.scores, people["true_ps"])[0, 1] > 0.98


def test_logit_is_finite_at_the_edges() -> None:
    values = logit(pd.Series([0.0, 0.5, 1.0]))
    assert np.isfinite(values).all()
    assert values[1] == 0.0


def test_missing_covariates_are_refused_not_dropped() -> None:
    people = confounded_people(200, seed=3)
    people.loc[5, "age"] = np.nan
    with pytest.raises(NightingaleError, match="age \\(1 missing\\)"):
        estimate_propensity(people, "treated", ["age", "frail"])
