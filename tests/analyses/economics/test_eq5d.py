"""EQ-5D valuation: the UK 3L tariff's published checks and the documented 5L option."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.analyses.economics.eq5d import (
    EQ5DError,
    EQ5DValuer,
    Mapping5L,
    all_3l_profiles,
    uk_3l_utility,
)


@pytest.mark.parametrize(
    ("profile", "published"),
    [("11111", 1.0), ("22222", 0.516), ("12321", 0.329), ("33333", -0.594)],
)
def test_uk_3l_tariff_matches_dolan_1997_published_values(profile: str, published: float) -> None:
    assert uk_3l_utility(profile) == pytest.approx(published, abs=5e-4)


def test_any_problem_costs_at_least_the_constant() -> None:
    values = [uk_3l_utility(p) for p in all_3l_profiles() if p != "11111"]
    assert len(values) == 242
    assert max(values) == pytest.approx(1 - 0.081 - 0.036)  # 11211: the mildest state
    assert min(values) == uk_3l_utility("33333")


@given(st.lists(st.integers(1, 3), min_size=5, max_size=5), st.integers(0, 4))
def test_worse_level_never_raises_utility(levels: list[int], dimension: int) -> None:
    worse = list(levels)
    worse[dimension] = min(3, worse[dimension] + 1)
    profile = "".join(map(str, levels))
    assert uk_3l_utility("".join(map(str, worse))) <= uk_3l_utility(profile)


@pytest.mark.parametrize("bad", ["1111", "11141", "a1111", "111111"])
def test_invalid_3l_profiles_are_refused(bad: str) -> None:
    with pytest.raises(EQ5DError):
        uk_3l_utility(bad)


def test_level_collapse_mapping_is_exact_at_the_ends_and_says_it_is_approximate() -> None:
    valuer = EQ5DValuer()
    assert valuer.mapping is Mapping5L.LEVEL_COLLAPSE
    assert valuer.value_5l("11111") == 1.0
    assert valuer.value_5l("55555") == uk_3l_utility("33333")
    assert valuer.value_5l("32451") == uk_3l_utility("22331")
    assert "approximation" in valuer.description


def test_lookup_mapping_reads_an_analyst_supplied_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import itertools

    rows = ["profile,utility"] + [
        f"{''.join(p)},{1 - 0.01 * sum(int(c) - 1 for c in p):.3f}"
        for p in itertools.product("12345", repeat=5)
    ]
    path = tmp_path / "crosswalk.csv"
    path.write_text("\n".join(rows) + "\n")
    valuer = EQ5DValuer.from_lookup_file(path)
    assert valuer.value_5l("21111") == pytest.approx(0.99)
    assert "lookup" in valuer.description


def test_series_valuation_keeps_missing_values_missing() -> None:
    values = EQ5DValuer().value_series(pd.Series(["11111", None, "21111"]))
    assert values.iloc[0] == 1.0
    assert pd.isna(values.iloc[1])
    assert values.iloc[2] == uk_3l_utility("21111")
