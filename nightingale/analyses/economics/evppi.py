"""Partial EVPI of parameter groups from the PSA sample, by a regression metamodel.

The expected value of partial perfect information of a group of parameters ``phi`` is
what learning ``phi`` exactly would be worth per person:

    EVPPI(phi) = E_phi[ max_d E(NB_d | phi) ] - max_d E(NB_d).

Nested Monte Carlo needs an inner loop per outer draw. Strong, Oakley and Brennan (Med
Decis Making 2014;34:311-326) showed that the PSA sample alone suffices: regress each
strategy's net benefit (relative to the first strategy) on the parameters of the group;
the fitted values estimate ``E(NB_d | phi)`` draw by draw, and the formula above is
then a mean and a maximum. They used a GAM (one smooth per parameter, tensor products
for groups); this module fits the same kind of flexible additive surface by least
squares: per parameter a restricted cubic spline (Harrell; knots at the 5, 27.5, 50,
72.5 and 95th percentiles, linear beyond the outer knots), and for a group the pairwise
products of each pair's linear and first spline terms (and the three-way products of
the linear terms), which carry the interactions a product of parameters creates (a
hazard ratio times a cost, say). Constant columns (fixed parameters) drop out.

A regression that overfits inflates EVPPI, so the basis stays small against the sample
(tens of columns for thousands of draws), and the group of all parameters that enter
the net benefit linearly gives back the EVPI exactly (the test checks it against BCEA's
published EVPI of its vaccine example). On the ``voi`` R package's published example,
drawn again exactly, single-parameter EVPPIs come within a quarter of the published GAM
estimates' standard error (tests/analyses/economics/test_evppi.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.analyses.economics.ceac import net_benefit_draws
from nightingale.platform.errors import NightingaleError

Array = NDArray[np.float64]
KNOT_QUANTILES = (0.05, 0.275, 0.5, 0.725, 0.95)


def _spline_terms(x: Array) -> list[Array]:
    """Linear term and the restricted cubic spline's nonlinear terms of one column."""
    scale = float(np.std(x))
    z = (x - float(np.mean(x))) / scale
    knots = np.unique(np.quantile(z, KNOT_QUANTILES))
    terms = [z]
    if len(knots) < 3:  # a parameter with few distinct values: the linear term only
        return terms
    first, last, before_last = knots[0], knots[-1], knots[-2]
    spread = (last - first) ** 2

    def cube(v: Array) -> Array:
        return np.maximum(v, 0.0) ** 3

    for knot in knots[:-2]:
        term = (
            cube(z - knot)
            - cube(z - before_last) * (last - knot) / (last - before_last)
            + cube(z - last) * (before_last - knot) / (last - before_last)
        )
        terms.append(term / spread)
    return terms


def regression_basis(inputs: Array) -> Array:
    """Design matrix (intercept first) of the metamodel on ``inputs`` (draws x parameters)."""
    x = np.asarray(inputs, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    varying = [x[:, j] for j in range(x.shape[1]) if np.std(x[:, j]) > 0]
    columns: list[Array] = [np.ones(len(x))]
    per_parameter = [_spline_terms(column) for column in varying]
    for terms in per_parameter:
        columns.extend(terms)
    for a, b in combinations(per_parameter, 2):
        for ta in a[:2]:
            for tb in b[:2]:
                columns.append(ta * tb)
    for a, b, c in combinations(per_parameter, 3):
        columns.append(a[0] * b[0] * c[0])
    return np.column_stack(columns)


def conditional_net_benefit(net_benefit: Array, inputs: Array) -> Array:
    """Fitted ``E(NB_d | phi)`` per draw (draws x strategies), the first strategy's the mean."""
    nb = np.asarray(net_benefit, dtype=float)
    basis = regression_basis(inputs)
    if basis.shape[1] >= len(nb) // 2:
        raise NightingaleError(
            f"EVPPI: {basis.shape[1]} regression terms for {len(nb)} PSA draws; "
            "use more draws or smaller parameter groups"
        )
    incremental = nb - nb[:, :1]
    coefficients, *_ = np.linalg.lstsq(basis, incremental, rcond=None)
    fitted = basis @ coefficients
    return np.asarray(fitted + nb[:, :1].mean(), dtype=float)


def evppi(net_benefit: Array, inputs: Array) -> float:
    """Per-person EVPPI of the parameters in ``inputs`` given net benefit draws.

    ``net_benefit`` is draws x strategies at one threshold; ``inputs`` the same draws'
    values of the parameter group (draws x parameters).
    """
    fitted = conditional_net_benefit(net_benefit, inputs)
    value = float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())
    # Rounding noise of a flat fit is not value: below a billionth of the net benefit's
    # spread, report zero.
    noise = 1e-9 * max(float(np.std(net_benefit)), 1.0)
    return value if value > noise else 0.0


def evppi_table(
    costs: Array,
    effects: Array,
    parameters: pd.DataFrame,
    groups: Mapping[str, Sequence[str]],
    thresholds: Sequence[float],
) -> pd.DataFrame:
    """EVPPI per person of each parameter group at each threshold, with the EVPI beside it."""
    unknown = sorted({p for group in groups.values() for p in group} - set(parameters.columns))
    if unknown:
        raise NightingaleError(f"EVPPI groups name parameters the PSA has not drawn: {unknown}")
    nb = net_benefit_draws(costs, effects, thresholds)
    rows = []
    for i, k in enumerate(thresholds):
        evpi = float(nb[i].max(axis=1).mean() - nb[i].mean(axis=0).max())
        for name, group in groups.items():
            inputs = parameters[list(group)].to_numpy(dtype=float)
            rows.append(
                {
                    "threshold": float(k),
                    "group": name,
                    "parameters": ", ".join(group),
                    # Regression noise can lift a group's estimate a little above
                    # the EVPI, which bounds it: report at most the EVPI.
                    "evppi": min(evppi(nb[i], inputs), evpi),
                    "evpi": evpi,
                }
            )
    return pd.DataFrame(rows)
