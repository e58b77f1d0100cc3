"""Match weights from agreement levels, as Splink computes them, without Splink.

An incremental run (:mod:`.incremental`) retrains the model whenever records changed,
so the pairs it keeps from the previous run carry weights of a model that is no longer
in force. Their agreement levels (gammas) do not depend on the model, only on the two
records, so the weights are recomputed here from the gammas, the retrained model and
the term frequencies of the current records; a kept pair then weighs exactly what a full
relink's scoring gives it, and the two runs cluster the same pairs the same way.

Splink's formulas (``splink.internals.predict`` and ``comparison_level``, Splink 5):

- ``match_weight = log2(λ / (1 - λ)) + Σ_comparisons w(level)``, λ the prior
  ``probability_two_random_records_match``;
- ``w(level) = log2(max(m, 1e-300) / max(u, 1e-300))``, 0 for the null level (-1);
- a level with a term-frequency column ``c`` adds, where the pair has a frequency,
  ``tf_weight * (log2(u_exact) - log2(max(tf_l, tf_r, tf_minimum_u_value)))``, with
  ``u_exact`` the u of the comparison's level that is plain equality on ``c`` (or the
  level's own u when exact-match detection is disabled), and ``tf(v)`` the share of
  records, over every source, whose non-null ``c`` is ``v``;
- ``match_probability = 1 / (1 + 2^-match_weight)``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Splink's floor on m and u before taking logarithms (``M_U_CLAMP_MIN``).
CLAMP = 1e-300

_EQUALITY = re.compile(r'^\s*"?(\w+)_l"?\s*=\s*"?(\w+)_r"?\s*$')


def numbered_levels(comparison: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Each level with its gamma value: -1 for null, then counting down to 0 (ELSE)."""
    levels = comparison["comparison_levels"]
    plain = [lv for lv in levels if not lv.get("is_null_level")]
    out, number = [], len(plain) - 1
    for level in levels:
        if level.get("is_null_level"):
            out.append((-1, level))
        else:
            out.append((number, level))
            number -= 1
    return out


def level_weight(level: dict[str, Any]) -> float:
    """``log2(m/u)`` of a level, clamped as Splink clamps (0 for a null level)."""
    if level.get("is_null_level"):
        return 0.0
    m = max(float(level["m_probability"]), CLAMP)
    u = max(float(level["u_probability"]), CLAMP)
    return math.log2(m / u)


def _exact_u(comparison: dict[str, Any], level: dict[str, Any], column: str) -> float:
    """The u Splink measures a term frequency against (see the module docstring)."""
    if level.get("disable_tf_exact_match_detection"):
        return float(level["u_probability"])
    for _gamma, other in numbered_levels(comparison):
        if other.get("is_null_level") or str(other["sql_condition"]).upper() == "ELSE":
            continue
        found = _EQUALITY.match(str(other["sql_condition"]))
        if found and found.group(1) == found.group(2) and found.group(1).lower() == column.lower():
            return float(other["u_probability"])
    raise ValueError(f"no exact-match level on {column!r} for its term-frequency adjustment")


def term_frequencies(table: pa.Table, column: str) -> npt.NDArray[np.float64]:
    """Per record of ``table``: the share of non-null ``column`` values equal to its own
    (NaN where its value is null), over every source, as Splink's ``tf_`` tables."""
    values = table.column(column).combine_chunks()
    known = len(values) - values.null_count
    encoded = values.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    valid = ~np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool)
    counts = np.bincount(codes[valid].astype(np.int64), minlength=len(encoded.dictionary))
    tf = np.full(len(values), np.nan)
    if known:
        tf[valid] = counts[codes[valid].astype(np.int64)] / known
    return tf


def match_weights(
    pairs: pd.DataFrame,
    model_json: dict[str, Any],
    frequencies: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
) -> npt.NDArray[np.float64]:
    """Each pair's match weight under ``model_json`` from its ``gamma_`` columns.

    ``frequencies`` maps each term-frequency column to (tf of the left record, tf of the
    right record) per pair, NaN where unknown (:func:`term_frequencies`).
    """
    prior = float(model_json["probability_two_random_records_match"])
    total = np.full(len(pairs), math.log2(prior / (1 - prior)) if prior < 1 else math.inf)
    for comparison in model_json["comparisons"]:
        gammas = pairs[f"gamma_{comparison['output_column_name']}"].to_numpy(dtype=np.int64)
        for gamma, level in numbered_levels(comparison):
            at = gammas == gamma
            if not at.any():
                continue
            total[at] += level_weight(level)
            column = level.get("tf_adjustment_column")
            weight = float(level.get("tf_adjustment_weight", 1.0) or 0.0)
            if gamma == -1 or not column or weight == 0:
                continue
            left, right = frequencies[column]
            tf = np.fmax(left[at], right[at])  # coalesce, then the greater
            known = ~np.isnan(tf)  # no frequency on either side: no adjustment
            tf = np.maximum(tf, float(level.get("tf_minimum_u_value", 0.0)))
            base = math.log2(_exact_u(comparison, level, column))
            adjust = np.zeros(int(at.sum()))
            adjust[known] = weight * (base - np.log2(tf[known]))
            total[at] += adjust
    return total


def match_probabilities(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``1 / (1 + 2^-w)``, computed stably either side of 0 as Splink does."""
    out = np.empty_like(weights)
    high = weights >= 0
    out[high] = 1.0 / (1.0 + np.power(2.0, -weights[high]))
    power = np.power(2.0, weights[~high])
    out[~high] = power / (1.0 + power)
    return out


def tf_columns(model_json: dict[str, Any]) -> list[str]:
    """The term-frequency columns the model's levels adjust by."""
    columns = {
        str(level["tf_adjustment_column"])
        for comparison in model_json["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }
    return sorted(columns)


def rescore(
    pairs: pd.DataFrame,
    model_json: dict[str, Any],
    table: pa.Table,
    node_l: npt.NDArray[np.intp],
    node_r: npt.NDArray[np.intp],
) -> pd.DataFrame:
    """``pairs`` with ``match_weight`` and ``match_probability`` under ``model_json``,
    term frequencies taken over ``table`` (the run's token table); ``node_l`` and
    ``node_r`` are each pair's record positions in ``table``."""
    frequencies = {}
    for column in tf_columns(model_json):
        tf = term_frequencies(table, column)
        frequencies[column] = (tf[node_l], tf[node_r])
    weights = match_weights(pairs, model_json, frequencies)
    pairs = pairs.copy()
    pairs["match_weight"] = weights
    pairs["match_probability"] = match_probabilities(weights)
    return pairs
