"""``nightingale outputs``: the airlock (submit, decide, publish) and ``check-table``.

Each command parses its arguments, calls one operation of
:mod:`nightingale.operations.airlock` acting as ``--as``, and prints the outcome. Approving
releases the output once the approvals the rules require are in (today one checker), so
there is no separate ``release`` command.

``check-table`` builds a table from row-level data and prints every cell's SDC outcome, so
a researcher can see before submitting what an output checker will see.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nightingale.cli.context import state
from nightingale.cli.governance import As, Reason, console, show_table, unit
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from nightingale.governance.models import OutputFile
    from nightingale.governance.outputs import OutputFileSpec

outputs_app = typer.Typer(
    help="The airlock: outputs leave only after SDC checks and a checker.", no_args_is_help=True
)

SIDECAR = ".sdc.json"


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
    colour = {"pass": "green", "review": "yellow", "fail": "red"}
    show_table(
        f"{agg} of {values or 'rows'} by {index} x {columns}",
        [index, columns, "value", "outcome", "reasons"],
        [
            [
                c.row,
                c.column,
                "" if c.value is None else f"{c.value:g}",
                f"[{colour[c.outcome]}]{c.outcome}[/]",
                "; ".join(c.reasons),
            ]
            for c in cells
        ],
    )


def _spec_for(path: Path) -> OutputFileSpec:
    from nightingale.governance.outputs import OutputFileSpec

    sidecar = path.with_name(path.name + SIDECAR)
    if not sidecar.is_file():
        kind = "figure" if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".pdf"} else "other"
        return OutputFileSpec(path, kind)
    try:
        metadata = json.loads(sidecar.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise NightingaleError(f"{sidecar}: not valid JSON ({exc})") from exc
    declared = metadata.get("kind") if isinstance(metadata, dict) else None
    if declared not in {"table", "model"}:
        raise NightingaleError(f"{sidecar}: 'kind' must be 'table' or 'model'")
    return OutputFileSpec(path, str(declared), metadata)


@outputs_app.command("submit")
def outputs_submit(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="Files; FILE.sdc.json beside one is its SDC metadata.")
    ],
    actor: As,
    project: Annotated[str, typer.Option()],
    title: Annotated[str, typer.Option()],
) -> None:
    """Submit files to the airlock; every cell is checked automatically."""
    from nightingale.operations import airlock

    specs = [_spec_for(f) for f in files if not f.name.endswith(SIDECAR)]
    with unit(ctx, actor) as work:
        output = airlock.submit(work, project=project, title=title, files=specs)
        outcomes = {f.name: f.outcome for f in output.files}
        output_id = output.id
    console.print(
        f"[green]output request {output_id} submitted[/]: "
        + ", ".join(f"{n} {o}" for n, o in outcomes.items())
    )


def _tally(files: Sequence[OutputFile]) -> str:
    """``3 files: 1 fail, 2 pass`` (the checker opens ``outputs show`` for the cells)."""
    counts = Counter(f.outcome for f in files)
    parts = ", ".join(f"{counts[o]} {o}" for o in ("fail", "review", "pass") if counts[o])
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
            [o.id, o.project.slug, o.status, o.submitter.username, o.title, _tally(o.files)]
            for o in outputs.queue(work.session, None if status == "all" else status)
        ]
    show_table("airlock", ["id", "project", "status", "submitter", "title", "files"], rows)


@outputs_app.command("show")
def outputs_show(ctx: typer.Context, output_id: int) -> None:
    """Every file's automatic checks, cell by cell, and the decisions so far."""
    from nightingale.governance import outputs

    with unit(ctx) as work:
        output = outputs.get_output(work.session, output_id)
        console.print(
            f"[bold]output request {output.id}[/] {output.title} — project "
            f"{output.project.slug}, {output.status} ({outputs.output_tally(output)} "
            f"approvals), by {output.submitter.username}"
        )
        for check in outputs.file_checks(output):
            console.print(f"  [bold]{check['name']}[/] ({check['kind']}): {check['outcome']}")
            for note in check["notes"]:
                console.print(f"    {note}")
            for cell in check["cells"]:
                if cell["outcome"] != "pass":
                    console.print(
                        f"    {cell['row']} / {cell['column']}: {cell['outcome']} — "
                        + "; ".join(cell["reasons"])
                    )
        for d in output.decisions:
            console.print(f"  {d.checker.username} {d.decision}: {d.reason}")


def _decision(name: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        output_id: int,
        actor: As,
        reason: Reason,
        override: Annotated[bool, typer.Option(help="Approve despite failing cells.")] = False,
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
    "An output checker approves, which releases the files once enough checkers have "
    "(--override needed with failing cells; checksums re-verified).",
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


def register(app: typer.Typer) -> None:
    """Add the outputs command group."""
    app.add_typer(outputs_app, name="outputs")
