"""Parameter distributions for probabilistic sensitivity analysis, declared in model files.

Each distribution can be given by its natural parameters or by a mean and standard
deviation (method of moments), because published sources report either:

- ``beta`` (probabilities, utilities): ``alpha``/``beta`` or ``mean``/``sd``;
- ``gamma`` (costs, rates): ``shape`` with ``scale`` or ``rate``, or ``mean``/``sd``;
- ``lognormal`` (hazard and rate ratios): ``meanlog``/``sdlog`` (of the log) or
  ``mean``/``sd`` (of the variable itself);
- ``normal``, ``uniform`` (``low``/``high``);
- ``dirichlet`` (several probabilities that must sum to one, e.g. a transition row) is
  declared as a group in the model file; see :class:`DirichletGroup`.

Sampling uses the caller's seeded :class:`numpy.random.Generator`, never global state.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Distribution(BaseModel):
    """One parameter's uncertainty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["beta", "gamma", "lognormal", "normal", "uniform"]
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)
    alpha: float | None = Field(default=None, gt=0)
    beta: float | None = Field(default=None, gt=0)
    shape: float | None = Field(default=None, gt=0)
    scale: float | None = Field(default=None, gt=0)
    rate: float | None = Field(default=None, gt=0)
    meanlog: float | None = None
    sdlog: float | None = Field(default=None, gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        self.natural()  # raises a ValueError naming what is missing or inconsistent
        return self

    def natural(self) -> tuple[float, float]:
        """The two natural parameters numpy's sampler takes."""
        moments = self.mean is not None and self.sd is not None
        if self.type == "beta":
            if self.alpha is not None and self.beta is not None:
                return self.alpha, self.beta
            if moments:
                m, s = float(self.mean), float(self.sd)  # type: ignore[arg-type]
                if not 0 < m < 1 or s * s >= m * (1 - m):
                    raise ValueError(
                        f"beta needs 0 < mean < 1 and sd^2 < mean(1-mean), got {m}, {s}"
                    )
                common = m * (1 - m) / (s * s) - 1
                return m * common, (1 - m) * common
            raise ValueError("beta needs alpha and beta, or mean and sd")
        if self.type == "gamma":
            if self.shape is not None and (self.scale is not None or self.rate is not None):
                scale = self.scale if self.scale is not None else 1.0 / float(self.rate)  # type: ignore[arg-type]
                return self.shape, scale
            if moments:
                m, s = float(self.mean), float(self.sd)  # type: ignore[arg-type]
                if m <= 0:
                    raise ValueError(f"gamma needs a positive mean, got {m}")
                return (m / s) ** 2, s * s / m
            raise ValueError("gamma needs shape with scale or rate, or mean and sd")
        if self.type == "lognormal":
            if self.meanlog is not None and self.sdlog is not None:
                return self.meanlog, self.sdlog
            if moments:
                m, s = float(self.mean), float(self.sd)  # type: ignore[arg-type]
                if m <= 0:
                    raise ValueError(f"lognormal needs a positive mean, got {m}")
                sdlog = math.sqrt(math.log1p((s / m) ** 2))
                return math.log(m) - sdlog * sdlog / 2, sdlog
            raise ValueError("lognormal needs meanlog and sdlog, or mean and sd")
        if self.type == "normal":
            if moments:
                return float(self.mean), float(self.sd)  # type: ignore[arg-type]
            raise ValueError("normal needs mean and sd")
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError("uniform needs low < high")
        return self.low, self.high

    def sample(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """``n`` independent draws."""
        a, b = self.natural()
        if self.type == "beta":
            return rng.beta(a, b, n)
        if self.type == "gamma":
            return rng.gamma(a, b, n)
        if self.type == "lognormal":
            return rng.lognormal(a, b, n)
        if self.type == "normal":
            return rng.normal(a, b, n)
        return rng.uniform(a, b, n)

    def expected(self) -> float:
        """The distribution's mean (for checks and documentation)."""
        a, b = self.natural()
        if self.type == "beta":
            return a / (a + b)
        if self.type == "gamma":
            return a * b
        if self.type == "lognormal":
            return math.exp(a + b * b / 2)
        return a if self.type == "normal" else (a + b) / 2


class DirichletGroup(BaseModel):
    """Probabilities that sum to one, drawn jointly: ``alpha`` maps parameter names to counts.

    The deterministic value of each parameter is ``alpha_i / sum(alpha)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    alpha: dict[str, float] = Field(min_length=2)

    @model_validator(mode="after")
    def _positive(self) -> DirichletGroup:
        if any(a <= 0 for a in self.alpha.values()):
            raise ValueError("dirichlet alphas must be positive")
        return self

    def means(self) -> dict[str, float]:
        total = sum(self.alpha.values())
        return {name: a / total for name, a in self.alpha.items()}

    def sample(self, rng: np.random.Generator, n: int) -> dict[str, NDArray[np.float64]]:
        draws = rng.dirichlet(list(self.alpha.values()), n)
        return {name: draws[:, i] for i, name in enumerate(self.alpha)}
