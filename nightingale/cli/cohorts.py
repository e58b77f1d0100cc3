"""``nightingale catalogue | cohort sql|validate|estimate | build``: thin over cohorts.

``cohort estimate`` and ``build`` open a unit of work and call one operation
(:mod:`nightingale.operations.cohorts`), where governance, linkage and cohorts meet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nightingale.cli.context import state

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.cohorts.build import Release

console = Console(highlight=False)
cohort_app = typer.Typer(help="Validate cohort specs, show their SQL, estimate their risk.")

SpecPath = Annotated[Path, typer.Argument(help="Cohort spec (YAML).", show_default=False)]
As = Annotated[str, typer.Option("--as", envvar="NIGHTINGALE_ACTOR", help="Who is acting.")]

DEMO_STEWARDS = ("sam", "sasha")
DEMO_BUILDER = "sam"


def catalogue(
    ctx: typer.Context,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown page (docs/catalogue.md).")
    ] = False,
) -> None:
    """List every table and column a cohort spec may use (the data root's providers too)."""
    from nightingale.cohorts.catalogue import catalogue_for
    from nightingale.platform.storage import DataRoot

    entries = catalogue_for(DataRoot(state(ctx).settings.data_root))
    if markdown:
        typer.echo(entries.to_markdown(), nl=False)
        return
    for name, table in entries.tables.items():
        view = Table(title=f"{name}: {table.description}", title_justify="left")
        for heading in ("column", "type", "sensitivity", "QI", "description"):
            view.add_column(heading)
        for column_name, column in table.columns.items():
            qi = "yes" if column.quasi_identifier else ""
            view.add_row(column_name, column.type, column.sensitivity, qi, column.description)
        console.print(view)


@cohort_app.command("validate")
def validate(ctx: typer.Context, spec: SpecPath) -> None:
    """Check a spec: YAML, fields, and every table and column against the catalogue."""
    from nightingale.cohorts.catalogue import catalogue_for
    from nightingale.cohorts.loading import read_spec_text
    from nightingale.cohorts.validation import validate_spec
    from nightingale.platform.storage import DataRoot

    catalogue = catalogue_for(DataRoot(state(ctx).settings.data_root))
    parsed = validate_spec(read_spec_text(spec), str(spec), catalogue, spec.parent)
    console.print(
        f"[green]ok[/] {spec}: cohort {parsed.name!r}, {len(parsed.person_columns)} person "
        f"variables, {len(parsed.follow_up.periods)} periods, "
        f"{len(parsed.follow_up.outcomes)} outcomes"
    )


@cohort_app.command("sql")
def sql(
    ctx: typer.Context,
    spec: SpecPath,
    dialect: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
) -> None:
    """Print the SQL a spec compiles to (persons, then panel)."""
    from nightingale.cohorts.catalogue import catalogue_for
    from nightingale.cohorts.compile import compile_spec
    from nightingale.cohorts.loading import load_spec
    from nightingale.platform.errors import NightingaleError
    from nightingale.platform.storage import DataRoot

    if dialect not in ("duckdb", "spark"):
        raise NightingaleError(f"--dialect: {dialect!r} is not one of duckdb, spark")
    catalogue = catalogue_for(DataRoot(state(ctx).settings.data_root))
    compiled = compile_spec(load_spec(spec), catalogue, str(spec))
    for name, text in compiled.sql(dialect).items():
        typer.echo(f"-- {name}\n{text};\n")


@cohort_app.command("schema")
def schema() -> None:
    """Print the cohort spec's JSON Schema (docs/cohort-spec.schema.json)."""
    from nightingale.cohorts.schema import render

    typer.echo(render(), nl=False)


@cohort_app.command("estimate")
def estimate(ctx: typer.Context, spec: SpecPath) -> None:
    """Estimate the k-anonymity a release of SPEC would have on today's data."""
    from nightingale.cli.governance import governance_unit
    from nightingale.cohorts.loading import read_spec_text
    from nightingale.operations import cohorts

    text = read_spec_text(spec)  # with the codelists it names, found beside it
    with governance_unit(state(ctx).settings) as unit:
        k = cohorts.estimate(unit, text)
    verdict = "[green]meets[/]" if k.meets_target else "[red]below[/]"
    console.print(
        f"k = {k.k} over {', '.join(k.quasi_identifiers)} ({verdict} the target {k.min_k}; "
        f"{k.groups} groups, {k.people_below_min_k} people in groups smaller than {k.min_k})"
    )


def build(
    ctx: typer.Context,
    request_id: int,
    actor: As,
    k_override: Annotated[
        str | None,
        typer.Option(
            "--k-override",
            help="A steward's reason to build the release although its k-anonymity is below "
            "the spec's target (recorded with the release and audited).",
        ),
    ] = None,
) -> None:
    """Build the release of an approved linkage request (stewards and administrators).

    A release below its spec's k-anonymity target is refused unless a steward gives
    --k-override with a reason.
    """
    from nightingale.cli.governance import governance_unit
    from nightingale.operations import cohorts

    with governance_unit(state(ctx).settings, actor) as unit:
        release = cohorts.build_request(unit, request_id, k_override=k_override)
    _report(release)
    if not release.manifest.k_anonymity.meets_target:
        console.print(f"   [yellow]built below the target by {actor}'s override:[/] {k_override}")


def _report(release: Release) -> None:
    rows, k = release.manifest.rows, release.manifest.k_anonymity
    console.print(
        f"[green]ok[/] release {release.release_id} of project {release.project}: "
        f"{rows.persons} persons, {rows.panel} person-periods"
    )
    console.print(f"   {release.path}")
    console.print(
        f"   k-anonymity {k.k} over {', '.join(k.quasi_identifiers)} "
        f"(target {k.min_k}{'' if k.meets_target else ', NOT met'})"
    )


def register(app: typer.Typer) -> None:
    """Add the cohort commands."""
    app.command()(catalogue)
    app.add_typer(cohort_app, name="cohort")
    app.command()(build)


# -- demo ---------------------------------------------------------------------------------


def _demo_stage_build(run: DemoRun) -> None:
    """Both demo stewards approve the pilot's request; then its release is built."""
    from nightingale.cli.governance import governance_unit
    from nightingale.governance import requests
    from nightingale.operations import cohorts, decisions

    with governance_unit(run.cli.settings) as work:
        pilot = [r for r in requests.list_requests(work.session, project="dfh-pilot")]
        if not pilot:
            console.print("no linkage request for dfh-pilot; nothing to build")
            return
        request_id, status = pilot[-1].id, pilot[-1].status
    for steward in DEMO_STEWARDS:  # each decision its own unit of work, as on the web
        if status == "submitted":
            with governance_unit(run.cli.settings, steward) as work:
                outcome = decisions.decide(
                    work,
                    request_id,
                    "approve",
                    "purpose, variables and disclosure risk reviewed (demo)",
                )
            status = outcome.status
            console.print(f"{steward} approved request {request_id}: now {status}")
    if status == "released":
        console.print(f"request {request_id} is already released; not building again")
        return
    with governance_unit(run.cli.settings, DEMO_BUILDER) as unit:
        release = cohorts.build_request(unit, request_id)
    _report(release)


DEMO_STAGES: list[tuple[int, str, Callable[[DemoRun], None]]] = [
    (80, "approve and build", _demo_stage_build),
]
