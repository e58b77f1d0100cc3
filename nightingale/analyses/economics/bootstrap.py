"""Paired, seeded, vectorised non-parametric bootstrap of incremental costs and QALYs.

*Paired*: each replicate resamples people, keeping each person's cost and QALYs
together, so their correlation carries into the cost-effectiveness plane. Resampling
is stratified by arm (each arm keeps its size), as in a trial's own bootstrap.

*Vectorised*: a replicate is a vector of resampling counts ``w`` (how often each
person was drawn); every statistic needed — arm means, or the regression-adjusted
SUR estimates — is a function of the weighted cross-products ``Z' W Z`` of a handful of
columns, so a block of replicates is one matrix product. 5,000 replicates on 10,000
people take about a second on one core (``benchmarks/economics.py``).

*Seeded*: the caller's seed gives a :class:`numpy.random.Generator`; the same seed
gives the same replicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.analyses.economics.sur import Equation, SURDesign, sur_from_cross_products
from nightingale.platform.errors import NightingaleError

Array = NDArray[np.float64]


def stratified_counts(
    group_sizes: Sequence[int],
    replicates: int,
    rng: np.random.Generator,
    block: int = 500,
    chunk: int = 50,
) -> Iterator[Array]:
    """Blocks of resampling counts ``(block, people)`` for people sorted by group.

    Group ``g`` occupies a contiguous run of ``group_sizes[g]`` columns, and each
    replicate draws that many people, with replacement, from that run only. Counts are
    tallied ``chunk`` replicates at a time (small enough to stay in cache) into blocks
    large enough for efficient matrix products.
    """
    n = int(sum(group_sizes))
    starts = np.concatenate([[0], np.cumsum(group_sizes)]).astype(int)
    for first in range(0, replicates, block):
        size = min(block, replicates - first)
        counts = np.empty((size, n))
        for row in range(0, size, chunk):
            rows = min(chunk, size - row)
            for g, n_g in enumerate(group_sizes):
                offsets = (np.arange(rows, dtype=np.int64) * n_g)[:, None]
                draws = rng.integers(0, n_g, size=(rows, n_g), dtype=np.int32) + offsets
                counts[row : row + rows, starts[g] : starts[g + 1]] = np.bincount(
                    draws.ravel(), minlength=rows * n_g
                ).reshape(rows, n_g)
        yield counts


@dataclass(frozen=True)
class BootstrapResult:
    """Replicates of the incremental cost and QALYs (reference minus comparator)."""

    delta_cost: Array
    delta_effect: Array
    seed: int
    adjusted: bool

    def inmb(self, threshold: float) -> Array:
        """Replicates of the incremental net monetary benefit at ``threshold``."""
        return threshold * self.delta_effect - self.delta_cost

    def interval(self, values: Array, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of ``values``."""
        tail = (1 - level) / 2 * 100
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"delta_cost": self.delta_cost, "delta_effect": self.delta_effect})


def bootstrap_increments(
    frame: pd.DataFrame,
    *,
    treatment: str,
    cost: str,
    effect: str,
    cost_covariates: Sequence[str] = (),
    effect_covariates: Sequence[str] = (),
    replicates: int = 5_000,
    seed: int,
    block: int = 500,
) -> BootstrapResult:
    """Bootstrap replicates of the (SUR-adjusted, if covariates are given) increments.

    Without covariates the increments are differences of arm means; with them each
    replicate refits the SUR system of :mod:`.sur`. ``treatment`` must be 0/1 (1 is the
    reference arm).
    """
    arm = frame[treatment].to_numpy()
    if not set(np.unique(arm)) <= {0, 1} or len(np.unique(arm)) != 2:
        raise NightingaleError(f"{treatment!r} must be 0/1 with both arms present")
    rng = np.random.default_rng(seed)
    adjusted = bool(cost_covariates or effect_covariates)
    design = SURDesign.of(
        [
            Equation(cost, (treatment, *cost_covariates)),
            Equation(effect, (treatment, *effect_covariates)),
        ]
    )
    order = np.argsort(arm, kind="stable")  # comparator (0) first, then reference (1)
    z = design.matrix(frame.iloc[order])
    n0 = int(np.sum(arm == 0))
    y_cost, y_effect = z[:, design.y_index(0)], z[:, design.y_index(1)]
    m = z.shape[1]
    upper = np.triu_indices(m)  # Z'WZ is symmetric: compute the upper triangle only
    pairs = z[:, upper[0]] * z[:, upper[1]] if adjusted else None
    delta_cost, delta_effect = [], []
    for counts in stratified_counts([n0, len(z) - n0], replicates, rng, block):
        if pairs is not None:
            gram = np.empty((len(counts), m, m))
            gram[:, upper[0], upper[1]] = counts @ pairs
            gram[:, upper[1], upper[0]] = gram[:, upper[0], upper[1]]
            coefficients, _, _ = sur_from_cross_products(design, gram, float(len(z)))
            delta_cost.append(coefficients[:, 1])
            delta_effect.append(coefficients[:, len(design.x_index(0)) + 1])
        else:
            w0, w1 = counts[:, :n0], counts[:, n0:]
            size0, size1 = n0, len(z) - n0
            delta_cost.append(w1 @ y_cost[n0:] / size1 - w0 @ y_cost[:n0] / size0)
            delta_effect.append(w1 @ y_effect[n0:] / size1 - w0 @ y_effect[:n0] / size0)
    return BootstrapResult(
        delta_cost=np.concatenate(delta_cost),
        delta_effect=np.concatenate(delta_effect),
        seed=seed,
        adjusted=adjusted,
    )
