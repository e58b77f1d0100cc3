"""Turning a model file into arrays: evaluate every expression for a set of parameters.

Parameters arrive as ``(samples, 1)`` arrays (one row for the base case, many for a
PSA). Each strategy gets its own environment: parameters, then its ``let`` overrides,
then the model's ``derived`` quantities, all evaluated on the grid of cycle boundaries
``0..cycles`` so that anything may depend on ``cycle`` or ``age``. Transition
probabilities use the first ``cycles`` columns (cycle ``t`` moves people from boundary
``t`` to ``t + 1``); state rewards use all ``cycles + 1``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.analyses.economics.markov.expressions import evaluate
from nightingale.analyses.economics.markov.model import (
    ModelError,
    StrategyArrays,
    check_transitions,
)
from nightingale.analyses.economics.markov.spec import REST, Expr, ModelSpec, StrategySpec

Array = NDArray[np.float64]


def _table_functions(spec: ModelSpec, folder: Path) -> dict[str, Callable[[Any], Array]]:
    functions: dict[str, Callable[[Any], Array]] = {}
    for name, table in spec.tables.items():
        frame = pd.read_csv(folder / table.file).sort_values(table.key)
        keys = frame[table.key].to_numpy(dtype=float)
        values = frame[table.value].to_numpy(dtype=float)

        def lookup(x: Any, keys: Array = keys, values: Array = values) -> Array:
            index = np.clip(np.searchsorted(keys, np.asarray(x, float), side="right") - 1, 0, None)
            return np.asarray(values[index], dtype=float)

        functions[name] = lookup
    return functions


@dataclass(frozen=True)
class _Evaluator:
    """Evaluates one strategy's expressions on the (samples, cycles + 1) grid."""

    spec: ModelSpec
    strategy: StrategySpec
    env: dict[str, Any]
    functions: dict[str, Callable[[Any], Array]]
    shape: tuple[int, int]

    def value(self, expression: Expr, what: str) -> Array:
        try:
            raw = np.asarray(evaluate(expression, self.env, self.functions), dtype=float)
            return np.broadcast_to(raw, self.shape)
        except ValueError as exc:
            raise ModelError(f"strategy {self.strategy.name!r}, {what}: {exc}") from exc

    def transitions(self) -> Array:
        spec, n = self.spec, len(self.spec.states)
        rows = {**spec.transitions, **self.strategy.transitions}
        p = np.zeros((*self.shape, n, n))
        for i, state in enumerate(spec.states):
            rest_j = None
            for target, expression in rows[state].items():
                j = spec.states.index(target)
                if expression == REST:
                    rest_j = j
                else:
                    p[:, :, i, j] = self.value(expression, f"{state} -> {target}")
            if rest_j is not None:
                p[:, :, i, rest_j] = 1.0 - p[:, :, i, :].sum(axis=-1)
        transitions = p[:, :-1]
        check_transitions(self.strategy.name, transitions, spec.states)
        return transitions

    def state_rewards(
        self, shared: Mapping[str, Expr], own: Mapping[str, Expr], what: str
    ) -> Array:
        merged = {**shared, **own}
        return np.stack(
            [self.value(merged[s], f"{what} of {s}") for s in self.spec.states], axis=-1
        )

    def transition_rewards(
        self, shared: Mapping[str, Expr], own: Mapping[str, Expr]
    ) -> Array | None:
        merged = {**shared, **own}
        if not merged:
            return None
        n = len(self.spec.states)
        out = np.zeros((self.shape[0], n, n))
        for key, expression in merged.items():
            i, j = self.spec.transition_pair(key)
            out[:, i, j] = self.value(expression, key)[:, 0]
        return out


def build_strategies(
    spec: ModelSpec, parameters: Mapping[str, Array], folder: Path
) -> list[StrategyArrays]:
    """Every strategy's arrays for parameter arrays of shape ``(samples, 1)``."""
    n_samples = max((np.shape(v)[0] for v in parameters.values()), default=1)
    grid = np.arange(spec.cycles + 1, dtype=float)[None, :]
    base: dict[str, Any] = {"cycle": grid, "cycle_length": spec.cycle_length, **parameters}
    if spec.start_age is not None:
        base["age"] = spec.start_age + grid * spec.cycle_length
    functions = _table_functions(spec, folder)
    built = []
    for strategy in spec.strategies:
        env = dict(base)
        for name, expression in strategy.let.items():
            env[name] = evaluate(expression, env, functions)
        for name, expression in spec.derived.items():
            env[name] = evaluate(expression, env, functions)
        ev = _Evaluator(spec, strategy, env, functions, (n_samples, spec.cycles + 1))
        built.append(
            StrategyArrays(
                name=strategy.name,
                transitions=ev.transitions(),
                state_costs=ev.state_rewards(spec.state_costs, strategy.state_costs, "cost"),
                state_utilities=ev.state_rewards(
                    spec.state_utilities, strategy.state_utilities, "utility"
                ),
                transition_costs=ev.transition_rewards(
                    spec.transition_costs, strategy.transition_costs
                ),
                transition_utilities=ev.transition_rewards(
                    spec.transition_utilities, strategy.transition_utilities
                ),
            )
        )
    return built
