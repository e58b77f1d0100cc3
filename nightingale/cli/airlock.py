"""``nightingale outputs``: the airlock (submit, decide, publish), ``check-table`` and
``check-file``.

Each command parses its arguments, calls one operation of
:mod:`nightingale.operations.airlock` acting as ``--as``, and prints the outcome. Submitting
runs the file check on every file against the release named (``--release``; default the
project's newest). Approving releases the output once the approvals the rules require are
in (two different output checkers by default), so there is no separate ``release``
command.

``check-table`` builds a table from row-level data and prints every cell's SDC outcome;
``check-file`` prints the file check's verdict on a file, so a researcher can see before
submitting what an output checker will see.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nightingale.cli.context import state
from nightingale.cli.governance import As, Reason, console, show_table, unit
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from nightingale.governance.filecheck import FileVerdict
    from nightingale.governance.models import OutputFile
    from nightingale.governance.outputs import OutputFileSpec

outputs_app = typer.Typer(
    help="The airlock: outputs leave only after the file check and two output checkers.",
    no_args_is_help=True,
)

SIDECAR = ".sdc.json"
COLOUR = {"pass": "green", "review": "yellow", "fail": "red", "block": "red"}


@outputs_app.command("check-table")
def check_table_command(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Row-level CSV.")],
    index: Annotated[str, typer.Option(help="Column for the table's rows.")],
    columns: Annotated[str, typer.Option(help="Column for the table's columns.")],
    values: Annotated[str | None, typer.Option(help="Column to aggregate.")] = None,
    agg: Annotated[str, typer.Option(help="count|sum|mean|median|min|max|std")] = "count",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    suppress: Annotated[
        bool, typer.Option(help="Hide failing cells and the cells that protect them.")
    ] = False,
    round_counts: Annotated[
        bool, typer.Option("--round", help="Round counts to the rounding base (5).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the table as CSV here, with FILE.sdc.json beside it "
            "(ready for 'outputs submit')."
        ),
    ] = None,
) -> None:
    """Build a table from row-level data and print each cell's outcome (exit 0 either way)."""
    import pandas as pd

    from nightingale.governance.mitigation import round_table, suppress_table
    from nightingale.governance.settings import sdc_settings
    from nightingale.governance.tables import build_table, check_table

    try:
        frame = pd.read_csv(data)
    except (OSError, ValueError) as exc:
        raise NightingaleError(f"{data}: cannot read as CSV ({exc})") from exc
    chosen = sdc_settings(state(ctx).settings)
    table = build_table(frame, index, columns, values, agg)
    if round_counts:
        table = round_table(table, chosen.rounding_base)
    if suppress:
        table = suppress_table(table, chosen)
    cells = check_table(table, chosen)
    if out is not None:
        from nightingale.platform.storage import atomic_write_json, atomic_write_text

        atomic_write_text(out, table.to_frame().to_csv())
        atomic_write_json(out.with_name(out.name + SIDECAR), table.to_json())
    if as_json:
        typer.echo(json.dumps({"cells": [c.as_dict() for c in cells]}, indent=2))
        return
    show_table(
        f"{agg} of {values or 'rows'} by {index} x {columns}",
        [index, columns, "value", "outcome", "reasons"],
        [
            [
                c.row,
                c.column,
                "" if c.value is None else f"{c.value:g}",
                f"[{COLOUR[c.outcome]}]{c.outcome}[/]",
                "; ".join(c.reasons),
            ]
            for c in cells
        ],
    )


def _spec_for(path: Path) -> OutputFileSpec:
    from nightingale.governance.output_gate import read_sidecar
    from nightingale.governance.outputs import KINDS, OutputFileSpec

    metadata = read_sidecar(path)
    said = metadata.get("kind") if metadata else None
    if said in KINDS:
        return OutputFileSpec(path, str(said), metadata)
    figure = path.suffix.lower() in {".png", ".svg"}
    return OutputFileSpec(path, "figure" if figure else "other", metadata)


@outputs_app.command("submit")
def outputs_submit(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="Files; FILE.sdc.json beside one is its metadata.")
    ],
    actor: As,
    project: Annotated[str, typer.Option()],
    title: Annotated[str, typer.Option()],
    release: Annotated[
        str | None,
        typer.Option(help="The release the outputs come from (default: the project's newest)."),
    ] = None,
) -> None:
    """Submit files to the airlock; each is checked from its own content."""
    from nightingale.operations import airlock

    specs = [_spec_for(f) for f in files if not f.name.endswith(SIDECAR)]
    with unit(ctx, actor) as work:
        output = airlock.submit(work, project=project, title=title, files=specs, release=release)
        outcomes = {f.name: f.outcome for f in output.files}
        output_id, checked = output.id, output.release_id
    against = f" against release {checked}" if checked else " (no release to check against)"
    console.print(
        f"[green]output request {output_id} submitted[/]{against}: "
        + ", ".join(f"{n} [{COLOUR.get(o, 'white')}]{o}[/]" for n, o in outcomes.items())
    )


def _tally(files: Sequence[OutputFile]) -> str:
    """``3 files: 1 block, 2 pass`` (the checker opens ``outputs show`` for the findings)."""
    counts = Counter(f.outcome for f in files)
    order = ("block", "fail", "review", "pass")
    parts = ", ".join(f"{counts[o]} {o}" for o in order if counts[o])
    return f"{len(files)} file{'s' if len(files) != 1 else ''}: {parts}"


@outputs_app.command("queue")
def outputs_queue(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="Status, or 'all'.")] = "submitted",
) -> None:
    """Output requests waiting for a checker (or in another status)."""
    from nightingale.governance import outputs

    with unit(ctx) as work:
        rows = [
            [
                o.id,
                o.project.slug,
                o.status,
                o.submitter.username,
                o.title,
                _tally(o.files),
                str(outputs.output_tally(o, work.governance)),
            ]
            for o in outputs.queue(work.session, None if status == "all" else status)
        ]
    show_table(
        "airlock", ["id", "project", "status", "submitter", "title", "files", "approvals"], rows
    )


def _show_check(check: dict[str, Any]) -> None:
    outcome = str(check.get("outcome", ""))
    console.print(
        f"  [bold]{check.get('name')}[/] ({check.get('kind')}): "
        f"[{COLOUR.get(outcome, 'white')}]{outcome}[/]"
    )
    for finding in check.get("findings", []):
        severity = finding.get("severity", "")
        label = {"block": "BLOCK", "review": "review", "pass": "note"}.get(severity, severity)
        console.print(
            f"    [{COLOUR.get(severity, 'white')}]{label}[/] {finding['rule']} at "
            f"{finding['where']}: {finding['detail']}"
        )
    for note in check.get("notes", []):  # requests checked before the file check
        console.print(f"    {note}")
    for cell in check.get("cells", []):
        if cell["outcome"] != "pass":
            console.print(
                f"    {cell['row']} / {cell['column']}: {cell['outcome']} — "
                + "; ".join(cell["reasons"])
            )


@outputs_app.command("show")
def outputs_show(ctx: typer.Context, output_id: int) -> None:
    """Every file's verdict and findings, metadata disagreements, and the decisions so far."""
    from nightingale.governance import output_gate, outputs

    with unit(ctx) as work:
        output = outputs.get_output(work.session, output_id)
        tally = outputs.output_tally(output, work.governance)
        gate = output_gate.gate_of(output)
        release = output.release_id or "none (checked on what the files show)"
        console.print(
            f"[bold]output request {output.id}[/] {output.title} — project "
            f"{output.project.slug}, {output.status} ({tally} approvals), by "
            f"{output.submitter.username}; checked against release {release}"
        )
        if gate.blocked:
            console.print(f"[red]cannot be approved:[/] {gate.blocked_reason()}")
        elif gate.needs_override:
            console.print(f"[yellow]approval needs --override:[/] {gate.review_reason()}")
        for name, where in gate.disagreements.items():
            console.print(f"[yellow]the metadata disagrees with {name}:[/]")
            for line in where:
                console.print(f"    {line}")
        for check in outputs.file_checks(output):
            _show_check(check)
        for d in output.decisions:
            console.print(f"  {d.checker.username} {d.decision}: {d.reason}")


def _decision(name: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        output_id: int,
        actor: As,
        reason: Reason,
        override: Annotated[
            bool,
            typer.Option(
                help="Approve files that need review (say why in the reason); never a block."
            ),
        ] = False,
    ) -> None:
        from nightingale.operations import airlock

        with unit(ctx, actor) as work:
            outcome = airlock.decide(work, output_id, name, reason, override=override)
        waiting = "" if outcome.status != "submitted" else f" ({outcome.tally} approvals)"
        console.print(f"[green]output request {output_id} is {outcome.status}[/]{waiting}")

    command.__doc__ = doc
    outputs_app.command(name)(command)


_decision(
    "approve",
    "An output checker approves, which releases the files once two different checkers "
    "have (--override needed for files that need review; blocked files never; checksums "
    "re-verified).",
)
_decision("reject", "An output checker rejects the request.")
_decision("return", "An output checker returns the request to the researcher.")


@outputs_app.command("withdraw")
def outputs_withdraw(ctx: typer.Context, output_id: int, actor: As, reason: Reason) -> None:
    """A project member withdraws an output request before release."""
    from nightingale.operations import airlock

    with unit(ctx, actor) as work:
        airlock.withdraw(work, output_id, reason)
    console.print(f"[yellow]output request {output_id} withdrawn")


@outputs_app.command("publish")
def outputs_publish(
    ctx: typer.Context,
    output_ids: Annotated[list[int], typer.Argument(help="Released output requests.")],
    actor: As,
    title: Annotated[str, typer.Option()],
    result_id: Annotated[str | None, typer.Option(help="Id of the published result.")] = None,
    cheers_file: Annotated[
        Path | None,
        typer.Option("--cheers", help="The evaluator's CHEERS 2022 items (nightingale cheers)."),
    ] = None,
) -> None:
    """An evaluator publishes released outputs as a result under published/."""
    from nightingale.operations import airlock, cheers

    answers = cheers.read_answers(cheers_file) if cheers_file else None
    with unit(ctx, actor) as work:
        result = airlock.publish(
            work, title=title, output_ids=output_ids, result_id=result_id, cheers_answers=answers
        )
        location = result.location
    console.print(f"[green]published[/] {location}")


@outputs_app.command("check-file")
def check_file_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The file to check (FILE.sdc.json: metadata).")],
    release: Annotated[
        str | None,
        typer.Option(help="Check against this release (pseudonyms, persons, recomputation)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the file check's verdict on FILE: outcome, findings, cells (exit 0 either way)."""
    from nightingale.governance.filecheck import check_file
    from nightingale.governance.output_gate import read_sidecar
    from nightingale.governance.settings import sdc_settings
    from nightingale.operations import airlock

    if release is None:  # no database needed: the file alone
        verdict = check_file(
            file, declared=read_sidecar(file), settings=sdc_settings(state(ctx).settings)
        )
    else:
        with unit(ctx) as work:
            verdict = airlock.check_file(work, file, release=release)
    if as_json:
        typer.echo(json.dumps(verdict.as_dict(), indent=2))
        return
    _show_verdict(verdict)


def _show_verdict(verdict: FileVerdict) -> None:
    outcome = str(verdict.outcome)
    console.print(f"[bold]{verdict.file}[/]: [{COLOUR[outcome]}]{outcome}[/]")
    for finding in verdict.findings:
        severity = str(finding.severity)
        console.print(
            f"  [{COLOUR[severity]}]{severity if severity != 'pass' else 'note'}[/] "
            f"{finding.rule} at {finding.where}: {finding.detail}"
        )
    flagged = [c for c in verdict.cells if c.get("outcome") != "pass"]
    for cell in flagged:
        console.print(
            f"  {cell['row']} / {cell['column']}: {cell['outcome']} — " + "; ".join(cell["reasons"])
        )


def register(app: typer.Typer) -> None:
    """Add the outputs command group."""
    app.add_typer(outputs_app, name="outputs")
