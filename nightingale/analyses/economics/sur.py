"""Seemingly unrelated regression (SUR) for incremental costs and QALYs.

Costs and QALYs of the same person are correlated, and each has its own covariates
(baseline cost in the cost equation, baseline utility in the QALY equation — the
baseline-utility adjustment of Manca et al. 2005). SUR estimates both equations jointly
by feasible GLS (Zellner 1962): ordinary least squares per equation, the residual
covariance ``Sigma`` from those residuals, then GLS on the stacked system. The
treatment coefficients are the regression-adjusted incremental cost and QALYs.

The estimator is written in terms of the weighted cross-products ``Z' W Z`` of the
columns involved, so the same code fits one data set (``W`` = identity) and thousands
of bootstrap replicates at once (``W`` = each replicate's resampling counts; see
:mod:`.bootstrap`). Residual covariance uses systemfit's default ``geomean`` divisor,
``sqrt((n - k_i) (n - k_j))``; ``n`` gives the maximum-likelihood divisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.platform.errors import NightingaleError

Array = NDArray[np.float64]
INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class Equation:
    """One equation: an outcome and its regressors (an intercept is always added)."""

    outcome: str
    regressors: tuple[str, ...]


@dataclass(frozen=True)
class SURDesign:
    """The columns a system needs, in a fixed order, and where each equation's are."""

    equations: tuple[Equation, ...]
    columns: tuple[str, ...]

    @classmethod
    def of(cls, equations: Sequence[Equation]) -> SURDesign:
        columns: list[str] = [INTERCEPT]
        for eq in equations:
            for name in (*eq.regressors, eq.outcome):
                if name not in columns:
                    columns.append(name)
        return cls(tuple(equations), tuple(columns))

    def x_index(self, k: int) -> list[int]:
        return [0, *(self.columns.index(r) for r in self.equations[k].regressors)]

    def y_index(self, k: int) -> int:
        return self.columns.index(self.equations[k].outcome)

    def matrix(self, frame: pd.DataFrame) -> Array:
        """The design columns of ``frame`` as a float matrix (intercept first)."""
        missing = [c for c in self.columns[1:] if c not in frame.columns]
        if missing:
            raise NightingaleError(f"SUR needs columns {missing}, which the data lacks")
        values = frame[list(self.columns[1:])].to_numpy(dtype=float)
        if np.isnan(values).any():
            raise NightingaleError("SUR needs complete data: impute or drop missing values first")
        return np.column_stack([np.ones(len(frame)), values])


def cross_products(z: Array, weights: Array | None = None) -> Array:
    """``Z' W Z`` for one weight vector (``(m, m)``) or many (``(B, m, m)``)."""
    if weights is None:
        return z.T @ z
    pairs = (z[:, :, None] * z[:, None, :]).reshape(len(z), -1)
    m = z.shape[1]
    return np.asarray((weights @ pairs).reshape(-1, m, m), dtype=float)


def _solve(a: Array, b: Array) -> Array:
    """Batched ``a x = b``; rank-deficient systems fall back to the pseudo-inverse.

    A bootstrap resample of a small data set can make a covariate constant (everyone
    resampled is female, say), which makes it collinear with the intercept. The
    treatment coefficient is still identified (resampling is within arm, so treatment
    always varies), and the pseudo-inverse's minimum-norm solution gives it exactly.
    """
    try:
        return np.asarray(np.linalg.solve(a, b), dtype=float)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(a) @ b, dtype=float)


def _inverse(a: Array) -> Array:
    try:
        return np.asarray(np.linalg.inv(a), dtype=float)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(a), dtype=float)


def sur_from_cross_products(
    design: SURDesign,
    gram: Array,
    n_obs: float,
    divisor: Literal["geomean", "n"] = "geomean",
) -> tuple[Array, Array, Array]:
    """FGLS estimates from ``Z'WZ`` (batched over a leading axis).

    Returns ``(coefficients, covariance, sigma)``: the stacked coefficients
    ``(B, P)`` (equation by equation, intercept first), their covariance ``(B, P, P)``,
    and the residual covariance ``(B, K, K)``.
    """
    g = gram if gram.ndim == 3 else gram[None]
    n_eq = len(design.equations)
    xs = [design.x_index(k) for k in range(n_eq)]
    ys = [design.y_index(k) for k in range(n_eq)]
    # Equation-by-equation OLS.
    ols = [
        _solve(g[:, x][:, :, x], g[:, x, y][..., None])[..., 0] for x, y in zip(xs, ys, strict=True)
    ]
    # Residual cross-products e_k' W e_l, expanded in terms of Z'WZ.
    sigma = np.empty((len(g), n_eq, n_eq))
    for k in range(n_eq):
        for m in range(n_eq):
            bk, bm = ols[k], ols[m]
            yy = g[:, ys[k], ys[m]]
            xy = np.einsum("bi,bi->b", bk, g[:, xs[k], ys[m]])
            yx = np.einsum("bj,bj->b", bm, g[:, ys[k]][:, xs[m]])
            xx = np.einsum("bi,bij,bj->b", bk, g[:, xs[k]][:, :, xs[m]], bm)
            sigma[:, k, m] = yy - xy - yx + xx
    dof = np.array([n_obs - len(x) for x in xs], dtype=float)
    if np.any(dof <= 0):
        raise NightingaleError("SUR needs more people than regressors in every equation")
    scale = np.sqrt(np.outer(dof, dof)) if divisor == "geomean" else np.full((n_eq, n_eq), n_obs)
    sigma = sigma / scale
    inverse = _inverse(sigma)
    sizes = [len(x) for x in xs]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offsets[-1])
    a = np.zeros((len(g), total, total))
    rhs = np.zeros((len(g), total))
    for k in range(n_eq):
        rows = slice(offsets[k], offsets[k + 1])
        for m in range(n_eq):
            cols = slice(offsets[m], offsets[m + 1])
            a[:, rows, cols] = inverse[:, k, m, None, None] * g[:, xs[k]][:, :, xs[m]]
            rhs[:, rows] += inverse[:, k, m, None] * g[:, xs[k], ys[m]]
    covariance = _inverse(a)
    coefficients = np.asarray(np.einsum("bij,bj->bi", covariance, rhs), dtype=float)
    return coefficients, covariance, np.asarray(sigma, dtype=float)


@dataclass(frozen=True)
class SURResult:
    """A fitted system: coefficients and standard errors by equation."""

    design: SURDesign
    coefficients: Array
    covariance: Array
    sigma: Array
    n_obs: int

    def _position(self, equation: int, regressor: str) -> int:
        names = [INTERCEPT, *self.design.equations[equation].regressors]
        offset = sum(len(e.regressors) + 1 for e in self.design.equations[:equation])
        return offset + names.index(regressor)

    def coefficient(self, equation: int, regressor: str) -> float:
        return float(self.coefficients[self._position(equation, regressor)])

    def standard_error(self, equation: int, regressor: str) -> float:
        i = self._position(equation, regressor)
        return float(np.sqrt(self.covariance[i, i]))

    def covariance_between(self, first: tuple[int, str], second: tuple[int, str]) -> float:
        return float(self.covariance[self._position(*first), self._position(*second)])

    def table(self) -> pd.DataFrame:
        """One row per equation and regressor: estimate and standard error."""
        rows = []
        for k, eq in enumerate(self.design.equations):
            for name in (INTERCEPT, *eq.regressors):
                rows.append(
                    {
                        "equation": eq.outcome,
                        "term": name,
                        "estimate": self.coefficient(k, name),
                        "std_error": self.standard_error(k, name),
                    }
                )
        return pd.DataFrame(rows)


def fit_sur(
    frame: pd.DataFrame,
    equations: Sequence[Equation],
    divisor: Literal["geomean", "n"] = "geomean",
) -> SURResult:
    """Fit a SUR system to complete data."""
    design = SURDesign.of(equations)
    z = design.matrix(frame)
    coefficients, covariance, sigma = sur_from_cross_products(
        design, cross_products(z), len(frame), divisor
    )
    return SURResult(design, coefficients[0], covariance[0], sigma[0], len(frame))
