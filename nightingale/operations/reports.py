"""A published result as a standalone HTML report, holding only what the airlock released.

Governance knows what was approved, released and published; the analyses package renders
reports. This operation is where they meet: every file named in the result's manifest
must belong to an output request of that result which the airlock released, and its
SHA-256 must match both the manifest and the checksum recorded when it was checked. A
folder that is not a published result (a results bundle still in a workspace, say) is
refused, and so is any file that fails these checks.

A file an analysis job produced carries its provenance into the report (job, commit,
release, pipeline and plan hashes, the lodged plan version), taken from governance's
record, never from the manifest alone: a manifest whose provenance differs from the
record, or claims a job for a file no job produced, is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nightingale.governance import audit
from nightingale.governance.jobs import provenance_of
from nightingale.governance.models import OutputRequest, PublishedResult
from nightingale.governance.outputs import approvals_of
from nightingale.governance.plans import plan_history
from nightingale.governance.releases import list_releases
from nightingale.governance.service import as_utc
from nightingale.operations.unit import Unit
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import atomic_write_text, sha256_file

if TYPE_CHECKING:
    from nightingale.analyses.reports.render import PlanNote, Provenance, ReportInput

REPORT_FILE = "report.html"
RELEASED = "released"
STATED = ("job_id", "commit", "dirty", "release_id", "pipeline_sha256", "plan_sha256", "sha256")
"""The provenance a manifest states that must match governance's record word for word."""


def _refuse(message: str) -> NightingaleError:
    return NightingaleError(f"{message}; a report shows only outputs the airlock approved")


def approved_input(unit: Unit, folder: Path) -> ReportInput:
    """The report's input after checking every file against the governance record."""
    from nightingale.analyses.reports.render import PUBLISHED_PREFIX, ApprovedFile, ReportInput

    session, data_root = unit.session, unit.settings.data_root
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise _refuse(f"{folder} is not a published result (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        result_id, files = str(manifest["result_id"]), dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _refuse(f"{manifest_path} is not a published result's manifest ({exc})") from exc
    result = session.get(PublishedResult, result_id)
    if result is None or (data_root / result.location).resolve() != folder.resolve():
        raise _refuse(f"{folder}: no published result {result_id!r} at this location")
    sources = {row.output_id for row in result.source_rows}
    stated = manifest.get("provenance") or {}
    if not isinstance(stated, dict):
        raise _refuse(f"{manifest_path}: its provenance is not a table of files")
    approved: list[ApprovedFile] = []
    for name, checksum in sorted(files.items()):
        prefix = PUBLISHED_PREFIX.match(name)
        output = session.get(OutputRequest, int(prefix.group()[:-1])) if prefix else None
        if output is None or output.id not in sources:
            raise _refuse(f"{name} does not come from an output request of result {result_id}")
        if output.status != RELEASED:
            raise _refuse(f"{name}: output request {output.id} is {output.status}, not released")
        original = name[prefix.end() :] if prefix else name
        record = next((f for f in output.files if f.name == original), None)
        path = folder / name
        if record is None or not path.is_file():
            raise _refuse(f"{name} is not a file the airlock checked")
        if not (checksum == record.sha256 == sha256_file(path)):
            raise _refuse(f"{name} changed after the output checker approved it")
        approvals = approvals_of(output)
        decision = (
            "approved by " + "; ".join(f"{a.checker.username}: {a.reason}" for a in approvals)
            if approvals
            else ""
        )
        recorded = provenance_of(session, output.id).get(original)
        claimed = stated.get(name)
        if claimed is not None and (
            recorded is None
            or not isinstance(claimed, dict)
            or any(claimed.get(key) != recorded.get(key) for key in STATED)
        ):
            raise _refuse(f"{name}: the manifest's provenance is not what governance recorded")
        origin = _provenance(recorded) if recorded is not None else None
        approved.append(ApprovedFile(path, output.id, record.outcome, decision, origin))
    sourced = (session.get(OutputRequest, s) for s in sources)
    projects = sorted({o.project.slug for o in sourced if o is not None})
    return ReportInput(
        result_id=result_id,
        title=result.title,
        published_by=result.evaluator.username,
        published_at=result.created_at.date().isoformat(),
        files=approved,
        cheers=_published_cheers(unit, result_id, folder, manifest),
        plans=[note for slug in projects for note in plan_notes(unit, slug)],
    )


def _plan_words(check: dict[str, Any] | None) -> tuple[str, bool]:
    """The lodged plan version a job followed, in words, and whether it is still current."""
    if check is None:
        return "none named by the action", True
    if check["status"] == "not lodged":
        return "not a version lodged with governance", False
    words = (
        f"{check['plan_name']} version {check['plan_version']} (revision {check['revision']}), "
        f"lodged with governance {check['lodged_at'][:16].replace('T', ' ')} UTC"
    )
    later = check.get("superseded_by")
    if later:
        words += (
            f"; amended since: revision {later['revision']} of "
            f"{later['lodged_at'][:16].replace('T', ' ')} UTC"
        )
        return words, False
    return words, True


def _provenance(recorded: dict[str, Any]) -> Provenance:
    from nightingale.analyses.reports.render import Provenance

    plan, current = _plan_words(recorded.get("plan"))
    return Provenance(
        job_id=int(recorded["job_id"]),
        action=str(recorded["action"]),
        commit=str(recorded["commit"]),
        dirty=bool(recorded["dirty"]),
        release_id=recorded["release_id"],
        pipeline_sha256=str(recorded["pipeline_sha256"]),
        plan_sha256=recorded["plan_sha256"],
        plan=plan,
        plan_current=current,
        output=str(recorded["output"]),
        started_at=str(recorded["started_at"])[:16].replace("T", " ") + " UTC",
    )


def plan_notes(unit: Unit, project: str) -> list[PlanNote]:
    """The project's lodged plan and amendments, each flagged if it came after the first
    release was built (outcome data were then in the project's hands)."""
    from nightingale.analyses.reports.render import PlanNote

    built = [as_utc(r.created_at) for r in list_releases(unit.session, project)]
    first = min(built) if built else None
    return [
        PlanNote(
            plan_name=v.plan_name,
            plan_version=v.plan_version,
            sha256=v.sha256,
            lodged_on=f"{v.lodged_at:%Y-%m-%d %H:%M} UTC",
            amendment=v.amendment,
            reason=v.reason,
            after_outcomes=first is not None and v.lodged_at > first,
        )
        for v in plan_history(unit.session, project)
    ]


def _published_cheers(
    unit: Unit, result_id: str, folder: Path, manifest: dict[str, Any]
) -> list[dict[str, Any]] | None:
    """The completed checklist published with the result, checked against its audit entry."""
    recorded = manifest.get("cheers")
    if not recorded:
        return None
    path = folder / str(recorded.get("file", ""))
    entries = audit.entries(
        unit.session, object_type="result", object_id=result_id, action_prefix="result.published"
    )
    logged = [audit.details_of(e).get("cheers_sha256") for e in entries]
    if not path.is_file() or not (recorded.get("sha256") == sha256_file(path) in logged):
        raise _refuse(f"{path.name} is not the CHEERS checklist published with {result_id}")
    items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def published_folder(unit: Unit, result: str) -> Path:
    """A published result's folder, from its id or from the folder itself."""
    candidate = Path(result)
    folder = candidate if candidate.is_dir() else unit.root.published / result
    if not folder.is_dir():
        raise NightingaleError(f"no published result {result!r} (looked in {folder})")
    return folder


def write_report(unit: Unit, folder: Path, out: Path | None = None) -> Path:
    """Verify, render and write the report (``report.html`` in ``folder`` by default)."""
    from nightingale.analyses.reports.render import render_report

    target = out or folder / REPORT_FILE
    atomic_write_text(target, render_report(approved_input(unit, folder)))
    return target
