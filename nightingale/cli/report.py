"""``nightingale report RESULTS``: a published result as a standalone HTML report.

RESULTS is a published result's id or its folder (``<data_root>/published/<id>/``).
Only outputs the airlock approved and released can appear
(:mod:`nightingale.operations.reports` checks every file against the governance record).
The report is written to ``report.html`` in the result's folder unless ``--out`` says
otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False)


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
    from nightingale.operations import reports

    with unit(ctx) as work:
        target = reports.write_report(work, reports.published_folder(work, results), out)
    console.print(f"[green]report[/] {target}")


def register(app: typer.Typer) -> None:
    """Add ``report``."""
    app.command()(report)
