"""``nightingale cheers template OUTPUT_IDS``: the CHEERS 2022 items the evaluator fills.

An economic evaluation is published only with every CHEERS 2022 item filled. The
platform fills what the analysis knows and item 4 from the lodged plan; this command
writes a YAML file of the rest (stakeholder involvement, funding, conflicts of interest,
the framing and discussion), each with what it asks and what the platform says now. The
evaluator fills it and publishes with ``nightingale outputs publish ... --cheers FILE``
(the web's publish form has the same items).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nightingale.cli.governance import unit

console = Console(highlight=False)
cheers_app = typer.Typer(help="The CHEERS 2022 checklist of an economic evaluation.")


@cheers_app.command("template")
def cheers_template(
    ctx: typer.Context,
    output_ids: Annotated[list[int], typer.Argument(help="Released output requests.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: print).")] = None,
) -> None:
    """Write the YAML file of CHEERS items the evaluator must fill before publishing."""
    from nightingale.operations import cheers
    from nightingale.platform.storage import atomic_write_text

    with unit(ctx) as work:
        text = cheers.template(work, output_ids)
    if out is None:
        typer.echo(text, nl=False)
        return
    atomic_write_text(out, text)
    console.print(f"[green]wrote[/] {out}: fill every item, then publish with --cheers {out}")


def register(app: typer.Typer) -> None:
    """Add the ``cheers`` command group."""
    app.add_typer(cheers_app, name="cheers")
