"""The CHEERS 2022 checklist of a result about to be published, and its completeness gate.

An economic evaluation's released outputs carry the checklist the analysis filled
(``economics_cheers.csv``: what the platform knows, such as perspective, horizon,
discounting and price year). The project's lodged plan answers item 4 (the analysis
plan). The evaluator answers the rest (:data:`~nightingale.analyses.economics.cheers.
EVALUATOR_ITEMS`: framing, stakeholder involvement, discussion, funding, conflicts of
interest) in a YAML file or the publish form. :func:`checklist_for` merges the three and
names the items still empty; the publish operation hands both to governance, whose
policy refuses to publish while any item is empty. A result with no economics outputs is
not an economic evaluation and carries no checklist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nightingale.analyses.economics import cheers
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.models import OutputRequest
from nightingale.governance.outputs import get_output
from nightingale.governance.plans import PlanVersion, plan_history
from nightingale.operations.unit import Unit
from nightingale.platform.errors import NightingaleError

CHEERS_TABLE = "economics_cheers"
PLAN_ITEM = 4


@dataclass(frozen=True)
class Checklist:
    """A result's CHEERS 2022 rows (``None``: not an economic evaluation) and the gaps."""

    rows: list[dict[str, Any]] | None
    missing: list[str]


def _outputs(unit: Unit, output_ids: Sequence[int]) -> list[OutputRequest]:
    try:
        return [get_output(unit.session, i) for i in sorted(set(output_ids))]
    except NotFound as exc:
        raise InvalidInput(str(exc)) from exc


def _platform_rows(unit: Unit, outputs: list[OutputRequest]) -> list[dict[str, Any]] | None:
    import pandas as pd

    for output in outputs:
        for item in output.files:
            if Path(item.name).stem == CHEERS_TABLE and item.name.endswith(".csv"):
                path = unit.settings.data_root / output.location / item.name
                frame = pd.read_csv(path, keep_default_na=False)
                return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
    return None


def describe_plans(history: Sequence[PlanVersion]) -> str:
    """Item 4 in words: each plan, when it was lodged, and every amendment with its date."""
    parts = []
    for version in history:
        when = f"{version.lodged_at:%Y-%m-%d}"
        if version.amendment:
            parts.append(
                f"amended on {when} (version {version.plan_version}, SHA-256 "
                f"{version.sha256[:12]}): {version.reason}"
            )
        else:
            parts.append(
                f"Analysis plan {version.plan_name} version {version.plan_version} lodged with "
                f"governance on {when} (SHA-256 {version.sha256[:12]})"
            )
    return "; ".join(parts) + "." if parts else ""


def _plan_text(unit: Unit, outputs: list[OutputRequest]) -> str:
    projects = sorted({o.project.slug for o in outputs})
    return " ".join(describe_plans(plan_history(unit.session, slug)) for slug in projects).strip()


def checklist_for(
    unit: Unit, output_ids: Sequence[int], answers: Mapping[int, str] | None = None
) -> Checklist:
    """The merged checklist of a result made of ``output_ids`` and the items still empty."""
    outputs = _outputs(unit, output_ids)
    rows = _platform_rows(unit, outputs)
    if rows is None:
        return Checklist(None, [])
    plan = _plan_text(unit, outputs)
    if plan:
        for row in rows:
            if int(row["item"]) == PLAN_ITEM and row["status"] == cheers.TO_COMPLETE:
                row["status"], row["text"] = "reported", plan
    filled = cheers.complete(rows, answers or {})
    return Checklist(filled, cheers.missing(filled))


def read_answers(path: Path) -> dict[int, str]:
    """The evaluator's answers from a YAML file (:func:`template` writes one)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise NightingaleError(f"{path}: cannot read the CHEERS answers ({exc})") from exc
    return parse_answers(data, str(path))


def parse_answers(data: object, source: str) -> dict[int, str]:
    """:func:`cheers.parse_answers` with its errors as errors for people."""
    try:
        return cheers.parse_answers(data, source)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def template(unit: Unit, output_ids: Sequence[int]) -> str:
    """The YAML file the evaluator fills for a result made of ``output_ids``."""
    found = checklist_for(unit, output_ids)
    if found.rows is None:
        raise NightingaleError(
            f"output requests {', '.join(map(str, sorted(set(output_ids))))} hold no "
            f"{CHEERS_TABLE}.csv: not an economic evaluation, so there is no checklist"
        )
    return cheers.answers_template(found.rows)
