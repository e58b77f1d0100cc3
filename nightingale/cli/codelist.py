"""``nightingale codelist check FILE --system icd10|opcs4|snomedct``: a codelist before use.

Reports every malformed code (a spec using the codelist would be refused) and every
code unknown to the shipped reference (reported only: the reference is compact), each
as ``FILE:LINE: message``. Exits 1 when any code is malformed or unknown, 0 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
codelist_app = typer.Typer(
    help="Codelists: the code files cohort specs name.", no_args_is_help=True
)


@codelist_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A codelist (CSV with a column of codes).")],
    system: Annotated[str, typer.Option(help="icd10, opcs4 or snomedct.")],
    column: Annotated[str, typer.Option(help="The CSV's column of codes.")] = "code",
) -> None:
    """Report a codelist's malformed and unknown codes, naming file and line."""
    from nightingale.cohorts.codelists import CodelistError, decode, parse_codelist
    from nightingale.cohorts.codesystems import SYSTEMS, match_rule

    if system not in SYSTEMS:
        known = ", ".join(SYSTEMS)
        raise typer.BadParameter(f"{system!r} is not one of {known}", param_hint="--system")
    try:
        codelist = parse_codelist(decode(file.read_bytes(), str(file)), str(file), column)
    except OSError as exc:
        raise CodelistError(f"{file}: cannot read the codelist ({exc.strerror})") from exc
    problems = codelist.problems(system)
    for entry, problem in problems:
        colour = "red" if problem.kind == "malformed" else "yellow"
        console.print(f"[{colour}]{problem.kind}[/] {file}:{entry.line}: {problem.message}")
    malformed = sum(problem.kind == "malformed" for _entry, problem in problems)
    summary = (
        f"{file}: {len(codelist.codes)} {system} codes ({match_rule(system)} match), "
        f"sha256 {codelist.sha256}; {malformed} malformed, {len(problems) - malformed} unknown"
    )
    if problems:
        console.print(f"[red]not ok[/] {summary}")
        raise typer.Exit(1)
    console.print(f"[green]ok[/] {summary}")


def register(app: typer.Typer) -> None:
    """Add the codelist commands."""
    app.add_typer(codelist_app, name="codelist")
