"""Render approved outputs as a standalone HTML report (Jinja2, figures inline).

Input is a :class:`ReportInput`: the published result's title and id, and the files the
airlock approved, each with its SDC outcome and the checker's decision. The report has:

1. the plain-language summary the analysis gave (if it was approved);
2. the analysis plan: when it was lodged with governance and every later amendment with
   its date (flagged when it came after outcome data were released to the project);
3. the CHEERS 2022 checklist — every item reported, marked not applicable, or shown as
   still to be completed (a report never hides an item); a published economic
   evaluation's checklist is the completed one the evaluator published with it;
4. within-study and lifetime results side by side, when the lifetime model's table
   was approved; and the linkage sensitivity table (each primary estimate at other link
   thresholds) with how to read it, when it was approved;
5. the cost-effectiveness plane and the CEAC, then the other approved figures (balance,
   outcome plots);
6. every approved table, each headed by its SDC outcome and the checker's decision;
7. where each output came from: for a file an analysis job produced, the job, the
   commit of the code, the release it read, the hashes of the pipeline and of the plan
   and which lodged plan version that is (flagged when amended since); a file submitted
   from a notebook is said to have no such record.

The page has no external references (no scripts, fonts or images fetched), so it can
be archived or e-mailed as one file.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from nightingale.analyses.economics.cheers import checklist

PUBLISHED_PREFIX = re.compile(r"^\d+-")
"""Published files are named ``<output request id>-<original name>``."""

FIRST_FIGURES = ("economics_ce_plane", "economics_ceac")
TITLES = {
    "economics_ce_plane": "Cost-effectiveness plane",
    "economics_ceac": "Cost-effectiveness acceptability curve",
}
CHEERS_TABLE = "economics_cheers"
HORIZONS_TABLE = "economics_within_study_and_lifetime"
"""Shown in its own section near the top: the decision maker's first question."""
LINKAGE_TABLE = "linkage_sensitivity"
"""Shown in its own section, with how to read it: each primary estimate at other link
thresholds (``analyses.evaluations.linkage_sensitivity``)."""


@dataclass(frozen=True)
class Provenance:
    """Where a job's output came from, as governance recorded it when the job ran."""

    job_id: int
    action: str
    commit: str
    dirty: bool
    release_id: str | None
    pipeline_sha256: str
    plan_sha256: str | None
    plan: str
    """The lodged plan version in words ("none named" when the action names none)."""
    plan_current: bool
    """False when the plan was amended after this version (or is not lodged)."""
    output: str
    """The file's path among the job's outputs."""
    started_at: str


@dataclass(frozen=True)
class ApprovedFile:
    """One file the airlock approved, with what the checker saw and decided."""

    path: Path
    output_request: int
    sdc_outcome: str
    decision: str = ""
    provenance: Provenance | None = None
    """Set when an analysis job produced the file (None: submitted from a notebook)."""

    @property
    def stem(self) -> str:
        return PUBLISHED_PREFIX.sub("", self.path.stem)


@dataclass(frozen=True)
class PlanNote:
    """One lodged version of the project's analysis plan, as the report states it."""

    plan_name: str
    plan_version: str
    sha256: str
    lodged_on: str
    amendment: bool = False
    reason: str = ""
    after_outcomes: bool = False
    """Lodged after the first release carrying outcome data was built for the project."""


@dataclass(frozen=True)
class ReportInput:
    result_id: str
    title: str
    published_by: str
    published_at: str
    files: list[ApprovedFile] = field(default_factory=list)
    cheers: list[dict[str, Any]] | None = None
    """The completed checklist published with the result (else read from the files)."""
    plans: list[PlanNote] = field(default_factory=list)


def _origin(file: ApprovedFile) -> dict[str, Any]:
    """The file's provenance block: its name, and the job's record or None."""
    anchor = f"provenance-{file.path.name}"
    return {"file": file.path.name, "anchor": anchor, "job": file.provenance}


def _figure(file: ApprovedFile) -> dict[str, Any]:
    data = base64.b64encode(file.path.read_bytes()).decode("ascii")
    return {
        "origin": _origin(file),
        "name": file.stem,
        "title": TITLES.get(file.stem, file.stem.replace("_", " ").capitalize()),
        "src": f"data:image/png;base64,{data}",
        "sdc": file.sdc_outcome,
        "decision": file.decision,
    }


def _table(file: ApprovedFile) -> dict[str, Any]:
    frame = pd.read_csv(file.path)
    html = frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:,.6g}", border=0)
    return {
        "origin": _origin(file),
        "name": file.stem,
        "title": file.stem.replace("_", " "),
        "html": html,
        "rows": len(frame),
        "sdc": file.sdc_outcome,
        "decision": file.decision,
        "output_request": file.output_request,
    }


def _cheers(files: list[ApprovedFile]) -> list[dict[str, Any]]:
    for file in files:
        if file.stem == CHEERS_TABLE and file.path.suffix == ".csv":
            frame = pd.read_csv(file.path, keep_default_na=False)
            return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
    return checklist({})


def build_context(source: ReportInput) -> dict[str, Any]:
    """Everything the template shows, from the approved files alone."""
    figures = [f for f in source.files if f.path.suffix.lower() == ".png"]
    figures.sort(
        key=lambda f: (FIRST_FIGURES.index(f.stem) if f.stem in FIRST_FIGURES else 99, f.stem)
    )
    tables = sorted(
        (f for f in source.files if f.path.suffix.lower() == ".csv" and f.stem != CHEERS_TABLE),
        key=lambda f: (not f.stem.startswith("economics_"), f.stem),
    )
    summaries = [
        f.path.read_text(encoding="utf-8").strip()
        for f in source.files
        if f.path.suffix.lower() == ".txt"
    ]
    cheers = source.cheers if source.cheers is not None else _cheers(source.files)
    horizons = [_table(f) for f in tables if f.stem == HORIZONS_TABLE]
    linkage = [_table(f) for f in tables if f.stem == LINKAGE_TABLE]
    return {
        "horizons": horizons[0] if horizons else None,
        "linkage": linkage[0] if linkage else None,
        "result_id": source.result_id,
        "title": source.title,
        "published_by": source.published_by,
        "published_at": source.published_at,
        "summaries": summaries,
        "plans": source.plans,
        "cheers": cheers,
        "cheers_counts": {
            status: sum(1 for row in cheers if row["status"] == status)
            for status in ("reported", "not applicable", "to be completed by the evaluator")
        },
        "figures": [_figure(f) for f in figures],
        "tables": [_table(f) for f in tables],
        "requests": sorted({f.output_request for f in source.files}),
        "origins": [_origin(f) for f in sorted(source.files, key=lambda f: f.path.name)],
    }


def render_report(source: ReportInput, home: str = "") -> str:
    """The report as one HTML document; ``home``, when given, is a link back (the public
    registry's index)."""
    environment = Environment(
        loader=PackageLoader("nightingale.analyses.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    return environment.get_template("report.html.j2").render(**build_context(source), home=home)
