"""The public registry: a static site of approved projects, lodged plans and published results.

``nightingale registry export DIR`` writes plain HTML and one CSS file (no scripts, no
fonts or images fetched), so the folder can be hosted anywhere outside the TRE: a web
server, object storage, a git pages site. It reads governance and the published results:

- **projects** that were ever approved (the audit chain's ``project.approved``): title,
  purpose, public benefit (the lay summary), lawful basis, ethics reference, dates of
  approval and activation, start and end, and the data used: each approved request's
  datasets with their justification, variables, approval date and release dates;
- **lodged plans**: every version with its date, SHA-256 and amendment reason, the plan's
  text as a page and as the exact file (hash it to check the SHA-256);
- **published results**: the report of each, rendered from the files the airlock
  released after checking them against governance (:mod:`.reports`).

Nothing non-public: no pseudonyms or release contents (reports hold only outputs that
passed SDC and an output checker), and **no person's name or username** anywhere — not
the PI, the members, the stewards, the output checkers or the evaluator. Projects have
no field listing their people publicly, so the registry names none; a report says "an
evaluator" and "an output checker" and leaves out the checker's free-text reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from nightingale.governance import audit
from nightingale.governance.models import (
    Approval,
    LinkageRequest,
    OutputRequest,
    Project,
    PublishedResult,
)
from nightingale.governance.plans import PlanVersion, plan_history
from nightingale.governance.releases import list_releases
from nightingale.governance.service import as_utc
from nightingale.operations import reports
from nightingale.operations.unit import Unit
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import atomic_directory

APPROVED_REQUESTS = frozenset({"approved", "released"})
STYLE = "style.css"
PUBLIC_EVALUATOR = "an evaluator"
PUBLIC_DECISION = "approved by an output checker"


@dataclass
class Export:
    """What was written, and the published results left out (with why)."""

    folder: Path
    projects: int = 0
    plans: int = 0
    results: int = 0
    skipped: list[str] = field(default_factory=list)


def _day(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:10]
    return f"{as_utc(value):%Y-%m-%d}"


def _logged(unit: Unit, project: str, action: str) -> str:
    found = audit.entries(
        unit.session, object_type="project", object_id=project, action_prefix=action
    )
    return next((e.recorded_at[:10] for e in found if e.action == action), "")


def _data_used(unit: Unit, project: Project) -> list[dict[str, Any]]:
    requests = unit.session.scalars(
        select(LinkageRequest)
        .where(LinkageRequest.project_id == project.id)
        .where(LinkageRequest.status.in_(APPROVED_REQUESTS))
        .order_by(LinkageRequest.id)
    )
    used = []
    for request in requests:
        approved = unit.session.scalars(
            select(Approval.decided_at).where(
                Approval.request_id == request.id,
                Approval.round == request.round,
                Approval.decision == "approve",
            )
        )
        built = [r for r in list_releases(unit.session, project.slug) if r.request_id == request.id]
        used.append(
            {
                "title": request.title,
                "approved_on": max((_day(d) for d in approved), default=""),
                "released_on": [_day(r.created_at) for r in built],
                "datasets": [
                    {
                        "name": row.dataset_name,
                        "description": row.dataset.description,
                        "justification": row.justification,
                        "variables": [
                            v.variable
                            for v in request.variable_rows
                            if v.dataset_name == row.dataset_name
                        ],
                    }
                    for row in request.dataset_rows
                ],
            }
        )
    return used


def _plans(history: list[PlanVersion]) -> list[dict[str, Any]]:
    names = sorted({v.plan_name for v in history})
    return [
        {
            "name": name,
            "page": f"{name}.html",
            "versions": [
                {
                    "revision": v.revision,
                    "version": v.plan_version,
                    "sha256": v.sha256,
                    "lodged_at": f"{v.lodged_at:%Y-%m-%d %H:%M} UTC",
                    "amendment": v.amendment,
                    "reason": v.reason,
                    "text": v.text,
                    "file": f"{name}-r{v.revision}.yaml",
                }
                for v in history
                if v.plan_name == name
            ],
        }
        for name in names
    ]


def _projects(unit: Unit) -> list[dict[str, Any]]:
    found = []
    for project in unit.session.scalars(select(Project).order_by(Project.slug)):
        approved_on = _logged(unit, project.slug, "project.approved")
        if not approved_on:
            continue  # never approved: not on the public registry
        found.append(
            {
                "slug": project.slug,
                "title": project.title,
                "purpose": project.purpose,
                "lay_summary": project.public_benefit,
                "lawful_basis": project.lawful_basis,
                "ethics_reference": project.ethics_reference,
                "status": project.status,
                "approved_on": approved_on,
                "activated_on": _logged(unit, project.slug, "project.active"),
                "start": project.start_date.isoformat(),
                "end": project.end_date.isoformat(),
                "data_used": _data_used(unit, project),
                "plans": _plans(plan_history(unit.session, project.slug)),
            }
        )
    return found


def _public_report(unit: Unit, result: PublishedResult) -> str:
    """The result's report with every person's name left out."""
    from nightingale.analyses.reports.render import render_report

    source = reports.approved_input(unit, unit.settings.data_root / result.location)
    public = replace(
        source,
        published_by=PUBLIC_EVALUATOR,
        files=[replace(f, decision=PUBLIC_DECISION) for f in source.files],
    )
    return render_report(public, home="../index.html")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _readable_by_all(folder: Path) -> None:
    """The site is public by design: folders 0755, files 0644, for any web server."""
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def export_registry(unit: Unit, folder: Path) -> Export:
    """Write the registry to ``folder`` (replaced whole, atomically); what was written."""
    environment = Environment(
        loader=PackageLoader("nightingale.operations", "templates/registry"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    projects = _projects(unit)
    listed = {p["slug"] for p in projects}
    done = Export(folder)
    results = []
    pages: dict[str, str] = {}
    for result in reversed(list(unit.session.scalars(select(PublishedResult)))):
        sources = (unit.session.get(OutputRequest, s.output_id) for s in result.source_rows)
        project_slugs = sorted({o.project.slug for o in sources if o is not None})
        try:
            pages[result.result_id] = _public_report(unit, result)
        except NightingaleError as exc:
            done.skipped.append(f"{result.result_id}: {exc}")
            continue
        results.append(
            {
                "id": result.result_id,
                "title": result.title,
                "published_on": _day(result.created_at),
                "projects": [s for s in project_slugs if s in listed],
            }
        )
    results.sort(key=lambda r: (r["published_on"], r["id"]), reverse=True)
    for project in projects:
        project["results"] = [r for r in results if project["slug"] in r["projects"]]
    context = {"projects": projects, "results": results}
    with atomic_directory(folder, replace=True) as target:
        _write(target / STYLE, environment.get_template("style.css").render())
        _write(target / "index.html", environment.get_template("index.html.j2").render(**context))
        for project in projects:
            page = environment.get_template("project.html.j2").render(project=project)
            _write(target / "projects" / f"{project['slug']}.html", page)
            for plan in project["plans"]:
                base = target / "plans" / project["slug"]
                page = environment.get_template("plan.html.j2").render(project=project, plan=plan)
                _write(base / plan["page"], page)
                for version in plan["versions"]:
                    _write(base / version["file"], version["text"])
                done.plans += 1
        for result_id, html in pages.items():
            _write(target / "results" / f"{result_id}.html", html)
        _readable_by_all(target)
    done.projects, done.results = len(projects), len(pages)
    return done
