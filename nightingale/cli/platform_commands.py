"""``nightingale init`` and ``nightingale doctor``."""

from __future__ import annotations

import typer
from rich.console import Console

from nightingale.cli.context import state

console = Console(highlight=False)


def init(ctx: typer.Context) -> None:
    """Create the data root, generate keys and migrate the database (safe to repeat)."""
    from nightingale.platform.bootstrap import initialise

    report = initialise(state(ctx).settings)
    if not report.changed:
        console.print(f"[green]ok[/] {report.data_root} is already initialised; nothing changed")
        return
    for path in report.created:
        console.print(f"created  {path}")
    for key_id in report.generated_keys:
        console.print(f"key      {key_id}")
    if report.migrated:
        console.print("database migrated to the latest revision")
    console.print(f"[green]ok[/] data root ready at {report.data_root}")


def doctor(ctx: typer.Context) -> None:
    """Check the data root, keys, database and engines; exit 1 if anything is wrong."""
    from nightingale.platform.doctor import run_checks

    checks = run_checks(state(ctx).settings)
    marks = {True: "[green]ok  [/]", False: "[red]FAIL[/]", None: "[dim]info[/]"}
    for check in checks:
        console.print(f"{marks[check.ok]} {check.name:<10} {check.detail}")
    failed = [c.name for c in checks if c.ok is False]
    if failed:
        console.print(f"[red]{len(failed)} check(s) failed:[/] {', '.join(failed)}")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the platform commands."""
    app.command()(init)
    app.command()(doctor)
