"""``nightingale audit``: verify the tamper-evident log, anchor it, read it, protect it.

``verify`` compares the chain in the database, its keyed head, the signed head file under
the data root, an optional external anchor and the governance tables, one line per check
(exit 1 when any disagrees). ``anchor --out FILE`` writes a signed statement of the
current head for the operator to keep somewhere else; ``verify --anchor FILE`` checks it.
``grant-app-role`` sets up PostgreSQL's insert-only application role.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from nightingale.cli.context import state
from nightingale.cli.governance import console, show_table, unit

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    anchor: Annotated[
        Path | None,
        typer.Option(help="An anchor written earlier by 'nightingale audit anchor --out'."),
    ] = None,
) -> None:
    """Check the chain, its head, the head file, an anchor and the tables; exit 1 on any problem."""
    from nightingale.operations import audit

    with unit(ctx) as work:
        report = audit.verify(work, anchor)
    for finding in report.findings:
        if not finding.ok:
            mark = "[red]FAIL[/]"
        elif finding.warning:
            mark = "[yellow]warn[/]"
        else:
            mark = "[green]ok[/]  "
        # One line per finding (greppable), its text never read as markup.
        console.print(f"{mark} {finding.check}: {escape(finding.message)}", soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the signed anchor (JSON).")],
) -> None:
    """Record an anchor entry and write the signed head to OUT, to keep off this machine."""
    from nightingale.governance.audit_anchor import write_anchor
    from nightingale.operations import audit

    with unit(ctx) as work:
        signed = audit.anchor(work)
    # Only now is the anchored entry committed: an anchor never names a rolled-back entry.
    write_anchor(out, signed)
    console.print(
        f"[green]anchored[/] entry {signed.seq} ({signed.head_hash}) in {escape(str(out))}: "
        "keep a copy where nobody with access to this machine or its database can change it",
        soft_wrap=True,
    )


@audit_app.command("log")
def audit_log(
    ctx: typer.Context,
    object_type: Annotated[str | None, typer.Option(help="e.g. request, release.")] = None,
    object_id: Annotated[str | None, typer.Option()] = None,
    action: Annotated[str | None, typer.Option(help="Action prefix, e.g. request.")] = None,
    limit: Annotated[int, typer.Option()] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Audit entries in chain order."""
    from nightingale.governance import audit

    with unit(ctx) as work:
        found = list(
            audit.entries(
                work.session,
                object_type=object_type,
                object_id=object_id,
                action_prefix=action,
                limit=limit,
            )
        )
        if as_json:
            for e in found:
                record = {
                    "seq": e.seq,
                    "at": e.recorded_at,
                    "actor": e.actor,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "details": audit.details_of(e),
                }
                typer.echo(json.dumps(record))
            return
        rows = [
            [
                e.seq,
                e.recorded_at[:19],
                e.actor,
                e.action,
                f"{e.object_type} {e.object_id}",
                e.details,
            ]
            for e in found
        ]
    show_table("audit log", ["seq", "at (UTC)", "actor", "action", "object", "details"], rows)


@audit_app.command("grant-app-role")
def audit_grant_app_role(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help="The application's PostgreSQL role.")],
) -> None:
    """PostgreSQL, run as the owner after 'init': let ROLE append to the log, never rewrite it."""
    from nightingale.governance.database_roles import grant_application_role
    from nightingale.platform.database import make_engine

    engine = make_engine(state(ctx).settings.resolved_database_url)
    try:
        statements = grant_application_role(engine, role)
    finally:
        engine.dispose()
    for statement in statements:
        console.print(f"  {escape(statement)}", soft_wrap=True)
    console.print(
        f"[green]granted[/] {role}: reads and writes the platform's tables; on audit_log "
        "only SELECT and INSERT; cannot alter, disable or drop the audit triggers"
    )


def register(app: typer.Typer) -> None:
    """Add the audit command group."""
    app.add_typer(audit_app, name="audit")
