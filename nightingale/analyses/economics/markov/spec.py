"""Model files: a cohort state-transition model declared in YAML, validated by pydantic.

A model file names its states, horizon, cycle convention and discount rates, its
parameters (with optional PSA distributions), derived quantities, and per strategy the
transition probabilities and rewards as expressions (:mod:`.expressions`). Shared
definitions sit at the top level; a strategy overrides parameters with ``let`` (read
before ``derived`` is computed, so a strategy's hazard ratio flows through) and may
replace rows of ``transitions`` or entries of the reward maps.

Every state must have a transition row (an absorbing state says ``D: {D: 1}``) and a
cost and utility; one entry per row may be ``rest`` (one minus the others). Nothing is
filled in silently. Expressions may read ``cycle`` (0, 1, ...), ``age`` (``start_age +
cycle * cycle_length``), ``cycle_length`` and lookup tables declared under ``tables``,
so probabilities and rewards can vary over time. See ``examples/sick_sicker.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nightingale.analyses.economics.discounting import DiscountRates
from nightingale.analyses.economics.markov.corrections import Correction
from nightingale.analyses.economics.markov.distributions import DirichletGroup, Distribution
from nightingale.analyses.economics.markov.expressions import names_in, parse
from nightingale.analyses.economics.markov.model import (
    CycleSettings,
)
from nightingale.platform.errors import NightingaleError

Expr = str | float
REST = "rest"
Array = NDArray[np.float64]


class Parameter(BaseModel):
    """A base-case value and, optionally, its PSA distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    distribution: Distribution | None = None
    description: str = ""


class Discount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    costs: float = Field(0.035, ge=0, lt=1)
    effects: float = Field(0.035, ge=0, lt=1)


class Table(BaseModel):
    """A lookup table in a CSV file beside the model: ``name(x)`` gives the value at the
    largest ``key`` not above ``x`` (ends clamped), e.g. a life table by single year of age."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    key: str
    value: str


class StrategySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    let: dict[str, Expr] = Field(default_factory=dict)
    transitions: dict[str, dict[str, Expr]] = Field(default_factory=dict)
    state_costs: dict[str, Expr] = Field(default_factory=dict)
    state_utilities: dict[str, Expr] = Field(default_factory=dict)
    transition_costs: dict[str, Expr] = Field(default_factory=dict)
    transition_utilities: dict[str, Expr] = Field(default_factory=dict)


class PSASettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    samples: int = Field(1000, ge=1)
    seed: int = 1
    thresholds: list[float] = Field(default_factory=lambda: [20_000.0, 30_000.0])


class ModelSpec(BaseModel):
    """A whole model file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    source: str = ""
    currency: str = "GBP"
    states: list[str] = Field(min_length=2)
    initial: dict[str, float]
    cycles: int = Field(ge=1)
    cycle_length: float = Field(1.0, gt=0)
    start_age: float | None = None
    correction: Correction
    discount: Discount = Field(default_factory=Discount)
    tables: dict[str, Table] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    dirichlet: dict[str, DirichletGroup] = Field(default_factory=dict)
    derived: dict[str, Expr] = Field(default_factory=dict)
    transitions: dict[str, dict[str, Expr]] = Field(default_factory=dict)
    state_costs: dict[str, Expr] = Field(default_factory=dict)
    state_utilities: dict[str, Expr] = Field(default_factory=dict)
    transition_costs: dict[str, Expr] = Field(default_factory=dict)
    transition_utilities: dict[str, Expr] = Field(default_factory=dict)
    strategies: list[StrategySpec] = Field(min_length=1)
    thresholds: list[float] = Field(default_factory=lambda: [20_000.0, 30_000.0])
    psa: PSASettings = Field(default_factory=PSASettings)

    @model_validator(mode="before")
    @classmethod
    def _plain_numbers_are_parameters(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("parameters"), dict):
            data = dict(data)
            data["parameters"] = {
                k: {"value": v} if isinstance(v, int | float) else v
                for k, v in data["parameters"].items()
            }
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        states = self.states
        if len(set(states)) != len(states):
            raise ValueError(f"state names must be unique: {states}")
        if set(self.initial) - set(states):
            raise ValueError(
                f"initial names unknown states {sorted(set(self.initial) - set(states))}"
            )
        if abs(sum(self.initial.values()) - 1.0) > 1e-9 or min(self.initial.values()) < 0:
            raise ValueError("initial proportions must be non-negative and sum to 1")
        names = [s.name for s in self.strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"strategy names must be unique: {names}")
        reserved = {"cycle", "age", "cycle_length"}
        declared = set(self.parameters) | {p for g in self.dirichlet.values() for p in g.alpha}
        if clash := (declared | set(self.derived)) & (reserved | set(self.tables)):
            raise ValueError(f"names {sorted(clash)} are reserved or used by tables")
        for strategy in self.strategies:
            self._check_strategy(strategy)
        if undeclared := free_names(self):
            raise ValueError(f"expressions read undeclared names {sorted(undeclared)}")
        return self

    def _check_strategy(self, strategy: StrategySpec) -> None:
        where = f"strategy {strategy.name!r}"
        rows = {**self.transitions, **strategy.transitions}
        for state in self.states:
            row = rows.get(state)
            if row is None:
                raise ValueError(f"{where}: no transition row for state {state!r}")
            if unknown := set(row) - set(self.states):
                raise ValueError(f"{where}: row {state!r} names unknown states {sorted(unknown)}")
            if sum(1 for v in row.values() if v == REST) > 1:
                raise ValueError(f"{where}: row {state!r} has more than one 'rest'")
        for label, base, own in (
            ("state_costs", self.state_costs, strategy.state_costs),
            ("state_utilities", self.state_utilities, strategy.state_utilities),
        ):
            if missing := set(self.states) - set(base) - set(own):
                raise ValueError(f"{where}: {label} has no value for {sorted(missing)}")
        reward_keys = [
            *self.transition_costs,
            *strategy.transition_costs,
            *self.transition_utilities,
            *strategy.transition_utilities,
        ]
        for key in reward_keys:
            self.transition_pair(key)
        expressions = [
            *strategy.let.values(),
            *self.derived.values(),
            *(v for row in rows.values() for v in row.values() if v != REST),
            *self.state_costs.values(),
            *strategy.state_costs.values(),
            *self.state_utilities.values(),
            *strategy.state_utilities.values(),
        ]
        for expression in expressions:
            if isinstance(expression, str):
                parse(expression)

    def transition_pair(self, key: str) -> tuple[int, int]:
        """Indices of ``"A -> B"``."""
        parts = [p.strip() for p in key.split("->")]
        if len(parts) != 2 or not set(parts) <= set(self.states):
            raise ValueError(f"transition reward key {key!r} must be 'STATE -> STATE'")
        return self.states.index(parts[0]), self.states.index(parts[1])

    @property
    def settings(self) -> CycleSettings:
        return CycleSettings(
            n_cycles=self.cycles,
            cycle_length=self.cycle_length,
            correction=self.correction,
            discount=DiscountRates(costs=self.discount.costs, effects=self.discount.effects),
        )

    def initial_vector(self) -> Array:
        return np.array([self.initial.get(s, 0.0) for s in self.states], dtype=float)

    def base_case(self) -> dict[str, Array]:
        """Every parameter at its base-case value, as ``(1, 1)`` arrays."""
        values = {name: p.value for name, p in self.parameters.items()}
        for group in self.dirichlet.values():
            values.update(group.means())
        return {name: np.full((1, 1), value) for name, value in values.items()}


def with_fixed(spec: ModelSpec, values: Mapping[str, float]) -> ModelSpec:
    """The model with some parameters fixed at new values (and no PSA distribution).

    This is how a within-study estimate (say, a hazard ratio from the pilot) is carried
    into a long-term model without editing the file.
    """
    unknown = sorted(set(values) - set(spec.parameters))
    if unknown:
        raise NightingaleError(
            f"{spec.name}: no parameters {unknown}; parameters are {sorted(spec.parameters)}"
        )
    parameters = {
        name: Parameter(value=values[name], description=p.description) if name in values else p
        for name, p in spec.parameters.items()
    }
    return spec.model_copy(update={"parameters": parameters})


def with_estimated(spec: ModelSpec, parameters: Mapping[str, Parameter]) -> ModelSpec:
    """The model with some parameters replaced whole: value *and* PSA distribution.

    :func:`with_fixed` carries a point estimate; this carries an estimate with its
    uncertainty (say, a hazard ratio and the lognormal its confidence interval implies),
    so the PSA reflects what the study left unknown.
    """
    unknown = sorted(set(parameters) - set(spec.parameters))
    if unknown:
        raise NightingaleError(
            f"{spec.name}: no parameters {unknown}; parameters are {sorted(spec.parameters)}"
        )
    return spec.model_copy(update={"parameters": {**spec.parameters, **parameters}})


def load_model(path: Path) -> tuple[ModelSpec, Path]:
    """Read and validate a model file; return the spec and the folder its tables are in."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise NightingaleError(f"{path}: no such model file") from exc
    except yaml.YAMLError as exc:
        raise NightingaleError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return ModelSpec.model_validate(data), path.parent
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'model'}: {e['msg']}" for e in exc.errors()
        )
        raise NightingaleError(f"{path}: {problems}") from exc


def free_names(spec: ModelSpec) -> set[str]:
    """Names the expressions read that nothing declares (a typo check for authors)."""
    known = (
        set(spec.parameters)
        | {p for g in spec.dirichlet.values() for p in g.alpha}
        | set(spec.derived)
        | {"cycle", "cycle_length"}
        | ({"age"} if spec.start_age is not None else set())
        | {n for s in spec.strategies for n in s.let}
    )
    used: set[str] = set()
    for expression in _all_expressions(spec):
        used |= names_in(expression)
    return used - known


def _all_expressions(spec: ModelSpec) -> list[str]:
    maps: list[Mapping[str, Expr]] = [
        spec.derived,
        spec.state_costs,
        spec.state_utilities,
        spec.transition_costs,
        spec.transition_utilities,
        *spec.transitions.values(),
    ]
    for s in spec.strategies:
        maps += [
            s.let,
            s.state_costs,
            s.state_utilities,
            s.transition_costs,
            s.transition_utilities,
        ]
        maps += list(s.transitions.values())
    return [v for m in maps for v in m.values() if isinstance(v, str) and v != REST]
