"""Workspace helpers: build tables and model summaries together with their SDC evidence.

A researcher who builds a table with these helpers gets the table *and* what the output
checks need (per cell: contributor count, the largest contributions, the total), so the
airlock can check every cell without seeing row-level data. :meth:`SdcTable.to_json` is
the metadata submitted with the output file; :func:`check_table` applies :mod:`.sdc`.

pandas is imported inside the functions that need it, so importing governance stays light.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from nightingale.governance.errors import InvalidInput
from nightingale.governance.sdc import STATISTICS, Evidence, Outcome, check_cell, check_regression
from nightingale.governance.settings import SdcSettings

if TYPE_CHECKING:
    import pandas as pd

AGGREGATES = ("count", "sum", "mean", "median", "min", "max", "std")
TOP = 10


@dataclass(frozen=True)
class TableCell:
    """One cell: its labels, its published value and the evidence behind it."""

    row: str
    column: str
    value: float | None
    evidence: Evidence
    suppressed: bool = False


@dataclass(frozen=True)
class CellCheck:
    row: str
    column: str
    value: float | None
    outcome: Outcome
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "outcome": str(self.outcome),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class SdcTable:
    """A two-way table with per-cell SDC evidence."""

    index: str
    columns: str
    statistic: str
    values: str | None
    cells: tuple[TableCell, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "table",
            "index": self.index,
            "columns": self.columns,
            "statistic": self.statistic,
            "values": self.values,
            "cells": [
                {
                    "row": c.row,
                    "column": c.column,
                    "value": c.value,
                    "suppressed": c.suppressed,
                    "evidence": asdict(c.evidence),
                }
                for c in self.cells
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SdcTable:
        try:
            cells = tuple(
                TableCell(
                    str(c["row"]),
                    str(c["column"]),
                    c["value"],
                    Evidence(**{**c["evidence"], "top": tuple(c["evidence"]["top"])}),
                    bool(c.get("suppressed", False)),
                )
                for c in data["cells"]
            )
            return cls(
                str(data["index"]),
                str(data["columns"]),
                str(data["statistic"]),
                data.get("values"),
                cells,
            )
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"SDC metadata is not a table description: {exc}") from exc

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(
            [(c.row, c.column, c.value) for c in self.cells],
            columns=[self.index, self.columns, "value"],
        )
        return frame.pivot(index=self.index, columns=self.columns, values="value")


@dataclass(frozen=True)
class ModelSummary:
    """A fitted model's coefficients with the residual degrees of freedom the check needs."""

    model: str
    nobs: int
    residual_dof: float
    coefficients: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "model", **asdict(self)}


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _labels(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise InvalidInput(f"no column {name!r}; columns are {', '.join(map(str, frame.columns))}")
    return frame[name].astype("string").fillna("(missing)")


def build_table(
    frame: pd.DataFrame, index: str, columns: str, values: str | None = None, agg: str = "count"
) -> SdcTable:
    """The ``index`` x ``columns`` table of ``agg`` over ``values`` with per-cell evidence.

    Every combination of the row and column categories present in the data is a cell, so
    empty combinations appear as zero counts (or empty magnitude cells) to be checked.
    """
    import pandas as pd

    if agg not in AGGREGATES:
        raise InvalidInput(f"--agg {agg!r} is not one of {', '.join(AGGREGATES)}")
    if agg != "count" and values is None:
        raise InvalidInput(f"--agg {agg} needs --values (the column to aggregate)")
    rows, cols = _labels(frame, index), _labels(frame, columns)
    if values is not None and values not in frame.columns:
        raise InvalidInput(
            f"no column {values!r}; columns are {', '.join(map(str, frame.columns))}"
        )
    numbers = (
        pd.to_numeric(frame[values], errors="coerce")
        if values is not None
        else pd.Series(1.0, index=frame.index)
    )
    if values is not None and agg != "count" and numbers.isna().all():
        raise InvalidInput(f"column {values!r} has no numbers to aggregate")
    data = pd.DataFrame({"r": rows, "c": cols, "v": numbers})
    if values is not None:
        data = data.dropna(subset=["v"])
    groups = {key: group["v"] for key, group in data.groupby(["r", "c"], sort=True)}
    cells = []
    for row in sorted(rows.unique()):
        for column in sorted(cols.unique()):
            series = groups.get((row, column), pd.Series([], dtype=float))
            count = len(series)
            if agg == "count":
                value: float | None = float(count)
            elif count == 0:
                value = None
            else:
                value = _number(getattr(series, agg)())
            top = tuple(float(x) for x in series.nlargest(TOP)) if agg != "count" else ()
            evidence = Evidence(
                statistic=agg,
                count=count,
                total=float(series.sum()) if agg != "count" else None,
                top=top,
                negatives=int((series < 0).sum()) if agg != "count" else 0,
            )
            cells.append(TableCell(str(row), str(column), value, evidence))
    return SdcTable(index, columns, agg, values, tuple(cells))


def check_table(table: SdcTable, settings: SdcSettings | None = None) -> list[CellCheck]:
    """Every cell's outcome and reasons."""
    if table.statistic not in STATISTICS:
        raise InvalidInput(f"unknown statistic {table.statistic!r}")
    results = []
    for cell in table.cells:
        if cell.suppressed:
            if cell.value is not None:
                raise InvalidInput(
                    f"cell {cell.row}/{cell.column} is marked suppressed but still has a value"
                )
            results.append(CellCheck(cell.row, cell.column, None, Outcome.PASS, ("suppressed",)))
            continue
        verdict = check_cell(cell.evidence, settings)
        results.append(
            CellCheck(cell.row, cell.column, cell.value, verdict.outcome, verdict.reasons)
        )
    return results


def model_summary(result: Any, name: str = "model") -> ModelSummary:
    """Summarise a fitted statsmodels result (anything with ``params``, ``nobs``, ``df_resid``)."""
    try:
        coefficients = {str(k): float(v) for k, v in dict(result.params).items()}
        return ModelSummary(name, int(result.nobs), float(result.df_resid), coefficients)
    except AttributeError as exc:
        raise InvalidInput(f"{type(result).__name__} is not a fitted model result: {exc}") from exc


def check_model(summary: ModelSummary, settings: SdcSettings | None = None) -> CellCheck:
    """The model's verdict as one check row."""
    verdict = check_regression(summary.residual_dof, settings)
    return CellCheck(
        summary.model, "residual_dof", summary.residual_dof, verdict.outcome, verdict.reasons
    )
