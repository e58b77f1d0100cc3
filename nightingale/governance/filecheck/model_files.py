"""Model outputs: regression tables that carry their residual degrees of freedom.

Like ACRO, the one disclosure rule for a regression is its residual degrees of freedom
(at least ``min_residual_dof``): a model fitted on a handful of people reproduces them.
The check reads the degrees of freedom from the file in one of three forms:

- **JSON**: ``{"kind": "model", "model": "ols", "nobs": 200, "residual_dof": 197,
  "coefficients": {"Intercept": 1.2, ...}}``, what ``tables.model_summary(...).to_json()``
  writes;
- **CSV/TSV**: a coefficient table whose header has ``term`` and ``estimate`` (or
  ``coef``), with the rows ``residual_dof`` (required) and ``nobs`` giving the model's
  figures in the estimate column (a ``residual_dof`` column works too);
- **TXT**: a statsmodels ``summary()`` printout (its ``Df Residuals:`` line), or any text
  with a line ``residual degrees of freedom: 197``.

Without the degrees of freedom in the file, ``nobs`` minus the number of coefficients is
used when both are shown; otherwise the model needs review. Degrees of freedom that only
the metadata states are context, not evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nightingale.governance.filecheck.grid import Grid, number
from nightingale.governance.filecheck.table_rules import cell_findings
from nightingale.governance.filecheck.verdict import NOTE, REVIEW, Finding
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import ModelSummary, check_model

ESTIMATE_NAMES = ("estimate", "coef", "coefficient")
DOF_NAMES = frozenset({"residual_dof", "df_resid", "df_residuals", "residual_df"})
NOBS_NAMES = frozenset({"nobs", "n_obs", "observations"})
_TEXT_DOF = re.compile(
    r"^\s*(?:df residuals|residual dof|residual degrees of freedom)\s*[:=]\s*([0-9.]+)",
    re.IGNORECASE | re.MULTILINE,
)
_TEXT_NOBS = re.compile(r"No\. Observations:\s*([0-9]+)", re.IGNORECASE)


@dataclass(frozen=True)
class ModelFigures:
    """What a model file shows: its name, observations, residual dof, coefficient count."""

    name: str
    nobs: float | None
    residual_dof: float | None
    terms: int
    where: str = "file"


def is_model_json(data: object) -> bool:
    return isinstance(data, Mapping) and data.get("kind") == "model"


def is_model_grid(grid: Grid) -> bool:
    names = {h.strip().lower() for h in grid.header}
    return "term" in names and any(n in names for n in ESTIMATE_NAMES)


def is_model_text(text: str) -> bool:
    return bool(_TEXT_DOF.search(text))


def figures_of_json(data: Mapping[str, Any], name: str) -> ModelFigures:
    coefficients = data.get("coefficients")
    terms = len(coefficients) if isinstance(coefficients, Mapping | list) else 0
    dof, nobs = data.get("residual_dof"), data.get("nobs")
    return ModelFigures(
        str(data.get("model") or name),
        float(nobs) if isinstance(nobs, int | float) else None,
        float(dof) if isinstance(dof, int | float) else None,
        terms,
        "key residual_dof",
    )


def figures_of_grid(grid: Grid, name: str) -> ModelFigures:
    header = [h.strip().lower() for h in grid.header]
    term = header.index("term")
    estimate = next(header.index(n) for n in ESTIMATE_NAMES if n in header)
    dof = nobs = None
    where = "file"
    terms = 0
    for i, row in enumerate(grid.rows):
        label = row[term].strip().lower() if term < len(row) else ""
        value = number(row[estimate]) if estimate < len(row) else None
        if label in DOF_NAMES:
            dof, where = value, grid.where(i, estimate)
        elif label in NOBS_NAMES:
            nobs = value
        else:
            terms += 1
    for j, column in enumerate(header):
        if dof is None and column in DOF_NAMES and grid.rows:
            dof, where = number(grid.rows[0][j]), grid.where(0, j)
    return ModelFigures(name, nobs, dof, terms, where)


def figures_of_text(text: str, name: str) -> ModelFigures:
    dof = _TEXT_DOF.search(text)
    nobs = _TEXT_NOBS.search(text)
    where = f"line {text.count(chr(10), 0, dof.start()) + 1}" if dof else "file"
    return ModelFigures(
        name, float(nobs[1]) if nobs else None, float(dof[1]) if dof else None, 0, where
    )


def check_figures(
    figures: ModelFigures, declared: Mapping[str, Any] | None, settings: SdcSettings
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The residual-dof rule on what the file shows, and where the metadata disagrees."""
    findings: list[Finding] = []
    dof, where = figures.residual_dof, figures.where
    if dof is None and figures.nobs is not None and figures.terms:
        dof = figures.nobs - figures.terms
        findings.append(
            Finding(
                "residual-dof",
                "file",
                f"residual degrees of freedom taken as observations minus coefficients ({dof:g})",
                NOTE,
            )
        )
    findings.extend(_metadata(figures, dof, declared))
    if dof is None:
        findings.append(
            Finding(
                "model-dof-missing",
                "file",
                "the file does not show the model's residual degrees of freedom; "
                "see docs/sdc.md for the model output forms",
                REVIEW,
            )
        )
        return [], findings
    summary = ModelSummary(figures.name, int(figures.nobs or 0), dof)
    check = check_model(summary, settings)
    findings.extend(cell_findings(check, where))
    return [check.as_dict()], findings


def _metadata(
    figures: ModelFigures, dof: float | None, declared: Mapping[str, Any] | None
) -> Iterator[Finding]:
    if not declared or declared.get("kind") != "model":
        return
    said = declared.get("residual_dof")
    if not isinstance(said, int | float):
        return
    if dof is None:
        yield Finding(
            "metadata-disagrees",
            "file",
            f"metadata disagrees with the file: it states {said:g} residual degrees of "
            "freedom, the file shows none",
            REVIEW,
        )
    elif abs(float(said) - dof) > 1e-9:
        yield Finding(
            "metadata-disagrees",
            figures.where,
            f"metadata disagrees with the file: metadata says {said:g} residual degrees of "
            f"freedom, the file shows {dof:g}",
            REVIEW,
        )
