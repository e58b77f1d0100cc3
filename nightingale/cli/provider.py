"""``nightingale provider list | validate FILE``: the providers ingest knows, from their files.

A provider is declared by a YAML file (docs/operator.md, "Onboarding a provider"): the
shipped ones and any in ``<data_root>/providers/``. ``validate`` checks a file before it
is put there, naming the file, line and field of every problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nightingale.cli.context import state

console = Console()
provider_app = typer.Typer(
    help="Provider files: the extract layouts ingest reads.", no_args_is_help=True
)


@provider_app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A provider file (YAML).")],
) -> None:
    """Check a provider file: its fields, its rules, and that its name is free here."""
    from nightingale.platform.contracts.provider_files import (
        ProviderFileError,
        load_provider,
        provider_sources,
    )
    from nightingale.platform.storage import DataRoot

    try:
        declared = load_provider(file)
    except ProviderFileError as exc:
        for problem in exc.problems:
            console.print(f"[red]error[/] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(6) from exc
    known = provider_sources(DataRoot(state(ctx).settings.data_root))
    if declared.provider in known and known[declared.provider][0].resolve() != file.resolve():
        console.print(
            f"[yellow]note[/] {file}: provider {declared.provider!r} is already declared in "
            f"{known[declared.provider][0]}; adding this file too would be refused",
            highlight=False,
            soft_wrap=True,
        )
    files = ", ".join(f.file for f in declared.files())
    console.print(f"[green]ok[/] {file}: provider {declared.provider} ({files})", highlight=False)


@provider_app.command("list")
def list_providers(ctx: typer.Context) -> None:
    """Every provider ingest knows: the shipped ones and the data root's."""
    from nightingale.platform.contracts.provider_files import provider_sources, shipped_folder
    from nightingale.platform.storage import DataRoot

    shipped = shipped_folder().resolve()
    view = Table(title="providers", title_justify="left")
    for heading in ("provider", "files", "declared in"):
        view.add_column(heading)
    for name, (path, declared) in provider_sources(DataRoot(state(ctx).settings.data_root)).items():
        files = ", ".join(f.file for f in declared.files())
        where = "shipped" if path.resolve().parent == shipped else str(path)
        view.add_row(name, files, where)
    console.print(view)


@provider_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a provider file (docs/provider.schema.json)."""
    from nightingale.platform.contracts.provider_schema import json_schema_text

    typer.echo(json_schema_text(), nl=False)


def register(app: typer.Typer) -> None:
    """Add the provider command group."""
    app.add_typer(provider_app, name="provider")
