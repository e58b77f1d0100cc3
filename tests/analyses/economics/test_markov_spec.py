"""Model files: validation, safe expressions, strategies' overrides, tables, PSA draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from nightingale.analyses.economics.markov.distributions import DirichletGroup, Distribution
from nightingale.analyses.economics.markov.expressions import ExpressionError, evaluate
from nightingale.analyses.economics.markov.run import run_base_case, sample_parameters
from nightingale.analyses.economics.markov.spec import load_model
from nightingale.platform.errors import NightingaleError

MINIMAL = {
    "name": "minimal",
    "states": ["Well", "Dead"],
    "initial": {"Well": 1},
    "cycles": 10,
    "correction": "half_cycle",
    "discount": {"costs": 0.035, "effects": 0.015},
    "parameters": {"p_die": 0.1, "c_well": 100},
    "transitions": {"Well": {"Well": "rest", "Dead": "p_die"}, "Dead": {"Dead": 1}},
    "state_costs": {"Well": "c_well", "Dead": 0},
    "state_utilities": {"Well": 1, "Dead": 0},
    "strategies": [{"name": "usual care"}, {"name": "new", "let": {"p_die": "p_die / 2"}}],
}


def write(tmp_path: Path, model: dict, name: str = "model.yaml") -> Path:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_text(yaml.safe_dump(model))
    return path


def test_a_strategy_let_flows_through_to_its_transitions(tmp_path: Path) -> None:
    result = run_base_case(*load_model(write(tmp_path, MINIMAL)))
    table = result.incremental.set_index("Strategy")
    assert table.loc["new", "Effect"] > table.loc["usual care", "Effect"]
    assert table.loc["new", "Inc_Cost"] > 0  # new (reference) minus usual care


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"transitions": {"Well": {"Well": "rest", "Dead": "p_die"}}}, "no transition row"),
        ({"state_costs": {"Well": "c_well"}}, "state_costs has no value"),
        ({"initial": {"Well": 0.5}}, "sum to 1"),
        ({"parameters": {"p_die": 0.1}}, "undeclared names"),
        ({"correction": "mid_cycle"}, "correction"),
        ({"strategies": [{"name": "a"}, {"name": "a"}]}, "unique"),
    ],
)
def test_invalid_model_files_are_refused_with_a_reason(
    tmp_path: Path,
    change: dict,
    message: str,  # type: ignore[type-arg]
) -> None:
    with pytest.raises(NightingaleError, match=message):
        load_model(write(tmp_path, {**MINIMAL, **change}))


def test_probabilities_outside_zero_one_are_refused_when_built(tmp_path: Path) -> None:
    path = write(tmp_path, {**MINIMAL, "parameters": {"p_die": 1.5, "c_well": 100}})
    with pytest.raises(NightingaleError, match="outside"):
        run_base_case(*load_model(path))


@pytest.mark.parametrize(
    "text", ["__import__('os')", "p.real", "[1, 2]", "open('x')", "'text'", "lambda: 1"]
)
def test_expressions_cannot_run_arbitrary_code(text: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(text, {"p": 0.5})


def test_expressions_broadcast_over_samples_and_cycles() -> None:
    env = {"p": np.array([[0.1], [0.2]]), "cycle": np.arange(3.0)[None, :]}
    value = evaluate("where(cycle < 1, 0, p)", env)
    np.testing.assert_allclose(value, [[0, 0.1, 0.1], [0, 0.2, 0.2]])


def test_age_dependent_mortality_from_a_lookup_table(tmp_path: Path) -> None:
    (tmp_path / "life.csv").write_text("age,rate\n40,0.0\n41,0.5\n42,1.0\n")
    model = {
        **MINIMAL,
        "cycles": 3,
        "start_age": 40,
        "correction": "end",
        "discount": {"costs": 0, "effects": 0},
        "tables": {"mortality": {"file": "life.csv", "key": "age", "value": "rate"}},
        "transitions": {"Well": {"Well": "rest", "Dead": "mortality(age)"}, "Dead": {"Dead": 1}},
        "parameters": {"c_well": 1},
        "strategies": [{"name": "only"}],
    }
    result = run_base_case(*load_model(write(tmp_path, model)))
    # Alive at the ends of cycles 1..3: 1, 0.5, 0 (age 40 -> 0%, 41 -> 50%, 42 -> 100%).
    assert result.outcomes[0].effects[0] == pytest.approx(1.5)


def test_distributions_from_moments_have_the_stated_mean_and_sd() -> None:
    rng = np.random.default_rng(3)
    for spec in (
        Distribution(type="beta", mean=0.3, sd=0.05),
        Distribution(type="gamma", mean=2000, sd=400),
        Distribution(type="lognormal", mean=0.6, sd=0.1),
    ):
        draws = spec.sample(rng, 200_000)
        assert draws.mean() == pytest.approx(spec.mean, rel=0.01)
        assert draws.std() == pytest.approx(spec.sd, rel=0.02)
        assert spec.expected() == pytest.approx(spec.mean)


def test_incomplete_distributions_are_refused() -> None:
    with pytest.raises(ValueError, match="beta needs"):
        Distribution(type="beta", mean=0.3)


def test_dirichlet_draws_sum_to_one_and_centre_on_alpha_shares() -> None:
    group = DirichletGroup(alpha={"p_a": 10, "p_b": 30, "p_c": 60})
    draws = group.sample(np.random.default_rng(1), 5000)
    np.testing.assert_allclose(draws["p_a"] + draws["p_b"] + draws["p_c"], 1.0)
    assert draws["p_c"].mean() == pytest.approx(0.6, abs=0.01)
    assert group.means() == {"p_a": 0.1, "p_b": 0.3, "p_c": 0.6}


def test_parameters_without_a_distribution_stay_fixed_in_the_psa(tmp_path: Path) -> None:
    spec, _ = load_model(write(tmp_path, MINIMAL))
    draws = sample_parameters(spec, 5, seed=1)
    np.testing.assert_array_equal(draws["p_die"], np.full((5, 1), 0.1))
