"""Running a model: the base case, the probabilistic sensitivity analysis, and the JSON.

The base case evaluates every parameter at its ``value``. The PSA draws every parameter
that has a distribution (others stay at their value) ``samples`` times from a seeded
generator and runs all draws at once through the vectorised engine; it reports mean
costs and effects, their incremental analysis, the CEAC and the EVPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.analyses.economics.ceac import DecisionUncertainty, decision_uncertainty
from nightingale.analyses.economics.incremental import calculate_icers, net_monetary_benefit
from nightingale.analyses.economics.markov.build import build_strategies
from nightingale.analyses.economics.markov.model import StrategyOutcome, run_strategy
from nightingale.analyses.economics.markov.spec import ModelSpec

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ModelResults:
    """Base-case costs and effects per strategy, and their incremental analysis."""

    spec: ModelSpec
    outcomes: list[StrategyOutcome]
    incremental: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: settings, per-strategy totals and NMB, the incremental analysis."""
        costs = np.array([o.costs[0] for o in self.outcomes])
        effects = np.array([o.effects[0] for o in self.outcomes])
        nmb = net_monetary_benefit(costs, effects, self.spec.thresholds)
        return {
            "model": self.spec.name,
            "source": self.spec.source,
            "currency": self.spec.currency,
            "settings": _settings_json(self.spec),
            "strategies": [
                {
                    "strategy": o.name,
                    "cost": float(o.costs[0]),
                    "effect": float(o.effects[0]),
                    "net_monetary_benefit": {
                        f"{k:g}": float(nmb[i, s]) for i, k in enumerate(self.spec.thresholds)
                    },
                }
                for s, o in enumerate(self.outcomes)
            ],
            "incremental": _records(self.incremental),
        }


@dataclass(frozen=True)
class PSAResults:
    """Draws of costs and effects (samples x strategies) and what they say."""

    spec: ModelSpec
    strategies: list[str]
    costs: Array
    effects: Array
    parameters: pd.DataFrame
    uncertainty: DecisionUncertainty
    incremental: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": int(self.costs.shape[0]),
            "seed": self.spec.psa.seed,
            "mean_costs": dict(zip(self.strategies, self.costs.mean(axis=0).tolist(), strict=True)),
            "mean_effects": dict(
                zip(self.strategies, self.effects.mean(axis=0).tolist(), strict=True)
            ),
            "incremental": _records(self.incremental),
            "thresholds": self.uncertainty.thresholds.tolist(),
            "ceac": {
                name: self.uncertainty.ceac[:, i].tolist() for i, name in enumerate(self.strategies)
            },
            "evpi": self.uncertainty.evpi.tolist(),
        }


def _settings_json(spec: ModelSpec) -> dict[str, Any]:
    return {
        "states": spec.states,
        "cycles": spec.cycles,
        "cycle_length_years": spec.cycle_length,
        "within_cycle_correction": spec.correction.value,
        "discount_rate_costs": spec.discount.costs,
        "discount_rate_effects": spec.discount.effects,
        "discount_formula": "1/(1+r)^t, t in years from cycle 0",
        "description": spec.settings.describe(),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k).lower(): v for k, v in row.items()} for row in cleaned.to_dict(orient="records")
    ]


def run_base_case(spec: ModelSpec, folder: Path) -> ModelResults:
    """Every strategy at the parameters' base-case values."""
    arrays = build_strategies(spec, spec.base_case(), folder)
    outcomes = [run_strategy(a, spec.initial_vector(), spec.settings) for a in arrays]
    incremental = calculate_icers(
        [o.costs[0] for o in outcomes], [o.effects[0] for o in outcomes], [o.name for o in outcomes]
    )
    return ModelResults(spec=spec, outcomes=outcomes, incremental=incremental)


def sample_parameters(spec: ModelSpec, samples: int, seed: int) -> dict[str, Array]:
    """One ``(samples, 1)`` array per parameter; fixed ones repeat their value.

    Parameters are drawn in the order the model file declares them (then Dirichlet
    groups), each from the same seeded generator, so a seed reproduces a PSA exactly.
    """
    rng = np.random.default_rng(seed)
    drawn: dict[str, Array] = {}
    for name, parameter in spec.parameters.items():
        if parameter.distribution is None:
            drawn[name] = np.full((samples, 1), parameter.value)
        else:
            drawn[name] = parameter.distribution.sample(rng, samples)[:, None]
    for group in spec.dirichlet.values():
        drawn.update({k: v[:, None] for k, v in group.sample(rng, samples).items()})
    return drawn


def run_psa(
    spec: ModelSpec,
    folder: Path,
    samples: int | None = None,
    seed: int | None = None,
    thresholds: Array | None = None,
    chunk: int = 2_000,
) -> PSAResults:
    """Probabilistic sensitivity analysis, ``chunk`` draws at a time to bound memory."""
    n = samples if samples is not None else spec.psa.samples
    draws = sample_parameters(spec, n, seed if seed is not None else spec.psa.seed)
    names = [s.name for s in spec.strategies]
    costs = np.empty((n, len(names)))
    effects = np.empty((n, len(names)))
    for start in range(0, n, chunk):
        part = {k: v[start : start + chunk] for k, v in draws.items()}
        for i, arrays in enumerate(build_strategies(spec, part, folder)):
            outcome = run_strategy(arrays, spec.initial_vector(), spec.settings)
            costs[start : start + chunk, i] = outcome.costs
            effects[start : start + chunk, i] = outcome.effects
    grid = (
        thresholds
        if thresholds is not None
        else np.unique(np.concatenate([np.linspace(0, 100_000, 101), spec.psa.thresholds]))
    )
    return PSAResults(
        spec=spec,
        strategies=names,
        costs=costs,
        effects=effects,
        parameters=pd.DataFrame({k: v[:, 0] for k, v in draws.items()}),
        uncertainty=decision_uncertainty(costs, effects, grid),
        incremental=calculate_icers(costs.mean(axis=0), effects.mean(axis=0), names),
    )
