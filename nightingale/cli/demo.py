"""``nightingale demo``: the platform's main job end to end on embedded defaults.

Each capability adds a stage. The demo works in its own data root (``./var`` unless
``--data-root``) and is safe to run again: every stage is idempotent or starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console

from nightingale.cli.context import CliState, state
from nightingale.platform.errors import NightingaleError

console = Console(highlight=False)

Stage = Callable[[CliState], None]


def _stage_init(cli: CliState) -> None:
    from nightingale.platform.bootstrap import initialise

    report = initialise(cli.settings)
    status = "initialised" if report.changed else "already initialised"
    console.print(f"data root {report.data_root} ({status})")


def _stage_doctor(cli: CliState) -> None:
    from nightingale.platform.doctor import run_checks

    failed = [c for c in run_checks(cli.settings) if c.ok is False]
    if failed:
        raise NightingaleError("; ".join(f"{c.name}: {c.detail}" for c in failed))
    console.print("doctor: all checks pass")


STAGES: list[tuple[str, Stage]] = [
    ("init", _stage_init),
    ("doctor", _stage_doctor),
]


def demo(
    ctx: typer.Context,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="End after the pipeline instead of serving the hub.")
    ] = False,
) -> None:
    """Run the platform's main job end to end on a demo region."""
    cli = state(ctx)
    for number, (name, stage) in enumerate(STAGES, start=1):
        console.rule(f"[bold]{number}/{len(STAGES)} {name}")
        stage(cli)
    console.rule("[bold green]demo complete")
    if not no_serve:
        console.print("The hub is not part of this build yet; nothing to serve.")


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command()(demo)
