"""The DARTH Sick-Sicker model reproduces its published Tables 4-5 from the example file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nightingale.analyses.economics.markov.run import run_base_case, run_psa
from nightingale.analyses.economics.markov.spec import load_model

EXAMPLE = (
    Path(__file__).resolve().parents[3] / "nightingale/analyses/economics/examples/sick_sicker.yaml"
)


@pytest.fixture(scope="module")
def base_case():  # type: ignore[no-untyped-def]
    spec, folder = load_model(EXAMPLE)
    return run_base_case(spec, folder)


def test_published_costs_effects_and_icers(base_case) -> None:  # type: ignore[no-untyped-def]
    table = base_case.incremental.set_index("Strategy")
    assert round(table.loc["Standard of care", "Cost"]) == 151_580
    assert round(table.loc["Standard of care", "Effect"], 3) == 20.711
    assert round(table.loc["Strategy B", "Cost"], -2) == 259_100
    assert round(table.loc["Strategy B", "Effect"], 3) == 22.184
    assert round(table.loc["Strategy AB", "Cost"]) == 378_875
    assert round(table.loc["Strategy AB", "Effect"], 3) == 23.137
    assert table.loc["Strategy A", "Status"] == "D"
    assert round(table.loc["Strategy B", "ICER"]) == 72_988
    assert round(table.loc["Strategy AB", "ICER"]) == 125_764


def test_textbook_simpson_would_not_reproduce_the_paper() -> None:
    """The published figures depend on darthtools' shifted Simpson weights; pin that."""
    spec, folder = load_model(EXAMPLE)
    trapezoid = spec.model_copy(update={"correction": "life_table"})
    soc = run_base_case(trapezoid, folder).incremental.set_index("Strategy")
    assert round(soc.loc["Standard of care", "Cost"]) != 151_580


def test_psa_is_reproducible_from_its_seed_and_centred_on_the_base_case() -> None:
    spec, folder = load_model(EXAMPLE)
    first = run_psa(spec, folder, samples=200, seed=7)
    again = run_psa(spec, folder, samples=200, seed=7)
    other = run_psa(spec, folder, samples=200, seed=8)
    np.testing.assert_array_equal(first.costs, again.costs)
    assert not np.array_equal(first.costs, other.costs)
    assert first.costs.mean(axis=0)[0] == pytest.approx(151_580, rel=0.02)
    assert np.all(first.uncertainty.evpi >= 0)
    np.testing.assert_allclose(first.uncertainty.ceac.sum(axis=1), 1.0)


def test_json_lists_every_strategy_and_the_incremental_results(base_case) -> None:  # type: ignore[no-untyped-def]
    result = base_case.to_json()
    assert [s["strategy"] for s in result["strategies"]] == [
        "Standard of care",
        "Strategy A",
        "Strategy B",
        "Strategy AB",
    ]
    statuses = {row["strategy"]: row["status"] for row in result["incremental"]}
    assert statuses == {
        "Standard of care": "ND",
        "Strategy A": "D",
        "Strategy B": "ND",
        "Strategy AB": "ND",
    }
    assert result["settings"]["within_cycle_correction"] == "darth_simpson"
