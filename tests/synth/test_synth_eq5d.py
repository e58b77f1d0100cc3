"""The published EQ-5D value set: full health is 1, worse answers never score higher."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.synth import utility
from nightingale.synth.eq5d import levels_from, utilities

profiles = st.lists(st.integers(1, 5), min_size=5, max_size=5)


def test_full_health_and_the_worst_state() -> None:
    assert utility("11111") == 1.0
    assert utility("55555") == pytest.approx(-0.30)


@pytest.mark.parametrize("bad", ["1111", "111111", "11161", "1a111", ""])
def test_a_profile_is_five_digits_one_to_five(bad: str) -> None:
    with pytest.raises(ValueError, match="five digits"):
        utility(bad)


@given(profiles, st.integers(0, 4))
def test_a_worse_level_never_raises_utility(levels: list[int], dimension: int) -> None:
    worse = list(levels)
    worse[dimension] = min(5, worse[dimension] + 1)
    as_text = "".join(map(str, levels))
    assert utility("".join(map(str, worse))) <= utility(as_text)
    assert utilities(np.array([levels]))[0] == pytest.approx(utility(as_text))


def test_lower_severity_never_gives_worse_answers() -> None:
    rng = np.random.default_rng(3)
    severity = rng.uniform(0, 3, 1000)
    noise = rng.normal(0, 0.6, (1000, 5))
    assert (levels_from(severity - 0.3, noise) <= levels_from(severity, noise)).all()
