"""``nightingale registry export DIR``: the public registry as a static site.

Plain HTML and one CSS file (no scripts), so ``DIR`` can be hosted anywhere outside the
TRE: approved projects (lay summary, purpose, data used, approval dates), their lodged
analysis plans with every amendment, and the reports of published results. It names no
one (see :mod:`nightingale.operations.registry`). The demo writes it to
``<data_root>/registry/`` (stage 120).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nightingale.cli.governance import governance_unit, unit

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.operations.registry import Export

console = Console(highlight=False)
registry_app = typer.Typer(help="The public registry outside the TRE.", no_args_is_help=True)


def _print(done: Export) -> None:
    for skipped in done.skipped:
        console.print(f"[yellow]left out[/] {skipped}")
    console.print(
        f"[green]registry[/] {done.folder / 'index.html'}: {done.projects} projects, "
        f"{done.plans} plans, {done.results} results"
    )


@registry_app.command("export")
def registry_export(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Folder to write (replaced whole).")],
) -> None:
    """Write the public registry (static HTML + CSS) to FOLDER."""
    from nightingale.operations.registry import export_registry

    with unit(ctx) as work:
        done = export_registry(work, folder)
    _print(done)


def _demo_registry(run: DemoRun) -> None:
    """Stage 120: the public registry, written to <data_root>/registry/."""
    from nightingale.operations.registry import export_registry

    settings = run.cli.settings
    with governance_unit(settings) as work:
        done = export_registry(work, settings.data_root / "registry")
    _print(done)


DEMO_STAGES = [(120, "public registry", _demo_registry)]


def register(app: typer.Typer) -> None:
    """Add the ``registry`` command group."""
    app.add_typer(registry_app, name="registry")
