"""The result object every analysis returns, and byte-stable writing of it.

An evaluator reads three things from an analysis: tidy tables (one row per estimate),
figures, and a sentence or two in plain language. A results bundle leaving through the
airlock must be checkable and reproducible, so :meth:`AnalysisResult.to_bundle` writes
them in forms whose bytes depend only on the numbers: CSV with a fixed float format,
JSON with sorted keys, PNG without timestamps or software versions.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display in a TRE workspace; fixed backend for stable PNG bytes

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nightingale.platform.storage import atomic_write_bytes, atomic_write_text

FLOAT_FORMAT = "%.6g"
"""Six significant figures: stable across platforms, ample for published estimates."""

PNG_METADATA: dict[str, Any] = {"Software": None}
"""Drop matplotlib's version stamp so the PNG bytes depend on the figure alone."""


@dataclass
class AnalysisResult:
    """Tidy tables, figures, JSON-able model summaries and a plain-language summary."""

    name: str
    summary: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.summary

    def merge(self, other: AnalysisResult, prefix: str | None = None) -> None:
        """Add another result's tables, figures and models, names prefixed.

        A name the prefix already ends with is not repeated: prefix ``x_event_study`` and
        table ``event_study`` give ``x_event_study``, not ``x_event_study_event_study``.
        """

        def named(key: str) -> str:
            if not prefix:
                return key
            return prefix if prefix.endswith(key) else f"{prefix}_{key}"

        self.tables.update({named(k): v for k, v in other.tables.items()})
        self.figures.update({named(k): v for k, v in other.figures.items()})
        self.models.update({named(k): v for k, v in other.models.items()})

    def to_bundle(self, folder: Path) -> list[Path]:
        """Write tables (CSV), figures (PNG), models (JSON) and the summary into ``folder``.

        Returns the written paths, sorted. Each file is written atomically; the caller
        makes the whole folder atomic (see ``storage.atomic_directory``) when needed.
        """
        written: list[Path] = []
        for name, table in sorted(self.tables.items()):
            path = folder / "tables" / f"{name}.csv"
            atomic_write_text(path, frame_to_csv(table))
            written.append(path)
        for name, figure in sorted(self.figures.items()):
            path = folder / "figures" / f"{name}.png"
            atomic_write_bytes(path, figure_to_png(figure))
            written.append(path)
        for name, model in sorted(self.models.items()):
            path = folder / "models" / f"{name}.json"
            atomic_write_text(path, to_json(model))
            written.append(path)
        summary = folder / "summary.txt"
        atomic_write_text(summary, self.summary.rstrip() + "\n")
        written.append(summary)
        return sorted(written)

    def estimate(self, estimand: str) -> dict[str, Any]:
        """The row of the ``estimates`` table for one estimand, as a dict."""
        table = self.tables["estimates"]
        rows = table[table["estimand"] == estimand]
        if rows.empty:
            raise KeyError(f"{self.name}: no estimate {estimand!r}")
        return {str(k): v for k, v in rows.iloc[0].to_dict().items()}


def frame_to_csv(frame: pd.DataFrame) -> str:
    """CSV text with a fixed float format and no index (unless it is named)."""
    keep_index = any(name is not None for name in frame.index.names)
    return str(frame.to_csv(index=keep_index, float_format=FLOAT_FORMAT, lineterminator="\n"))


def figure_to_png(figure: Figure) -> bytes:
    """PNG bytes of a figure without metadata that varies between runs or machines."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata=PNG_METADATA)
    return buffer.getvalue()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(FLOAT_FORMAT % value)
    return value


def to_json(value: Any) -> str:
    """Key-sorted JSON with floats rounded to six significant figures; NaN becomes null."""
    return json.dumps(_jsonable(value), indent=2, sort_keys=True) + "\n"


def estimate_row(
    estimand: str, estimate: float, std_error: float, low: float, high: float, **extra: Any
) -> dict[str, Any]:
    """One row of an estimates table: the shape every method's main table shares."""
    return {
        "estimand": estimand,
        "estimate": float(estimate),
        "std_error": float(std_error),
        "ci_low": float(low),
        "ci_high": float(high),
        **extra,
    }
