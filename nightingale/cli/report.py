"""``nightingale report RESULTS``: a published result as a standalone HTML report.

RESULTS is a published result's id or its folder (``<data_root>/published/<id>/``).
Only outputs the airlock approved can appear: every file named in the result's manifest
must belong to an output request that an output checker approved and released, and its
SHA-256 must match both the manifest and the checksum recorded when it was checked. A
folder that is not a published result (e.g. a results bundle still in a workspace) is
refused, and so is any file that fails these checks. The report is written to
``report.html`` in the result's folder unless ``--out`` says otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nightingale.cli.context import state
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nightingale.analyses.reports.render import ReportInput

console = Console(highlight=False)
REPORT_FILE = "report.html"
RELEASED = "released"


def _refuse(message: str) -> NightingaleError:
    return NightingaleError(f"{message}; a report shows only outputs the airlock approved")


def approved_input(session: Session, data_root: Path, folder: Path) -> ReportInput:
    """The report's input after checking every file against the governance record."""
    from nightingale.analyses.reports.render import PUBLISHED_PREFIX, ApprovedFile, ReportInput
    from nightingale.governance.models import OutputRequest, PublishedResult
    from nightingale.platform.storage import sha256_file

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
        approvals = [d for d in output.decisions if d.decision == "approve"]
        decision = (
            f"approved by {approvals[-1].checker.username}: {approvals[-1].reason}"
            if approvals
            else ""
        )
        approved.append(ApprovedFile(path, output.id, record.outcome, decision))
    return ReportInput(
        result_id=result_id,
        title=result.title,
        published_by=result.evaluator.username,
        published_at=result.created_at.date().isoformat(),
        files=approved,
    )


def write_report(session: Session, data_root: Path, folder: Path, out: Path | None) -> Path:
    """Verify, render and write the report; return where it went."""
    from nightingale.analyses.reports.render import render_report
    from nightingale.platform.storage import atomic_write_text

    target = out or folder / REPORT_FILE
    atomic_write_text(target, render_report(approved_input(session, data_root, folder)))
    return target


def report(
    ctx: typer.Context,
    results: Annotated[
        str, typer.Argument(help="Published result id, or its folder.", show_default=False)
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the HTML (default: its folder).")
    ] = None,
) -> None:
    """Render an approved, published result as a standalone HTML report."""
    from nightingale.cli.governance import unit
    from nightingale.platform.storage import DataRoot

    settings = state(ctx).settings
    candidate = Path(results)
    folder = candidate if candidate.is_dir() else DataRoot(settings.data_root).published / results
    if not folder.is_dir():
        raise NightingaleError(f"no published result {results!r} (looked in {folder})")
    with unit(ctx) as work:
        target = write_report(work.session, settings.data_root, folder, out)
    console.print(f"[green]report[/] {target}")


def register(app: typer.Typer) -> None:
    """Add ``report``."""
    app.command()(report)
