"""``nightingale demo``: the platform's main job end to end on embedded defaults.

Each capability adds stages without editing this file: any module of ``nightingale.cli``
may define ``DEMO_STAGES``, a list of ``(order, name, function)``; the demo runs all of
them sorted by order. The demo works in its own data root (``./var`` unless
``--data-root``) and is safe to run again: every stage is idempotent or starts afresh.

Orders in use: 10 init, 20 doctor, 30 synthetic region, 40 people and project,
50 ingest, 55 opt-out, 60 link, 70 request, 75 lodge the analysis plan, 80 approve and
build, 90 evaluation, 100 economics, 110 airlock and publish, 115 refresh, 120 public
registry, 125 retention, 200 serve.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console

from nightingale.cli.context import CliState, state
from nightingale.platform.errors import NightingaleError

console = Console(highlight=False)

Stage = Callable[["DemoRun"], None]


@dataclass
class DemoRun:
    """What a demo stage gets: the CLI state and whether to serve at the end."""

    cli: CliState
    serve: bool


def _stage_init(run: DemoRun) -> None:
    from nightingale.platform.bootstrap import initialise

    report = initialise(run.cli.settings)
    status = "initialised" if report.changed else "already initialised"
    console.print(f"data root {report.data_root} ({status})")


def _stage_doctor(run: DemoRun) -> None:
    from nightingale.platform.doctor import run_checks

    failed = [c for c in run_checks(run.cli.settings) if c.ok is False]
    if failed:
        raise NightingaleError("; ".join(f"{c.name}: {c.detail}" for c in failed))
    console.print("doctor: all checks pass")


DEMO_STAGES: list[tuple[int, str, Stage]] = [
    (10, "init", _stage_init),
    (20, "doctor", _stage_doctor),
]


def collect_stages() -> list[tuple[int, str, Stage]]:
    """Every ``DEMO_STAGES`` entry of every CLI module, in order."""
    import nightingale.cli as cli_package

    stages: list[tuple[int, str, Stage]] = []
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"nightingale.cli.{info.name}")
        stages.extend(getattr(module, "DEMO_STAGES", []))
    return sorted(stages, key=lambda stage: stage[0])


def demo(
    ctx: typer.Context,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="End after the pipeline instead of serving the hub.")
    ] = False,
) -> None:
    """Run the platform's main job end to end on a demo region."""
    run = DemoRun(cli=state(ctx), serve=not no_serve)
    stages = collect_stages()
    for number, (_order, name, stage) in enumerate(stages, start=1):
        console.rule(f"[bold]{number}/{len(stages)} {name}")
        stage(run)
    console.rule("[bold green]demo complete")


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command()(demo)
