"""``nightingale plans``: lodge and amend a project's analysis plan; list what is lodged.

The PI lodges the plan (``plans lodge PROJECT PLAN.yaml --as PI``) before the release
carrying outcome variables is built: its SHA-256 goes into the audit chain with the time,
and a build of a release with outcomes is refused until then. A changed plan is lodged
as an amendment with a reason (``plans amend``); reports and the public registry list
every amendment with its date. The demo lodges the pilot's plan in stage 75, before the
build (stage 80).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nightingale.cli.governance import As, Reason, show_table, unit
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.operations.unit import Unit

console = Console(highlight=False)
PILOT_PLAN = (
    Path(__file__).resolve().parent.parent / "analyses" / "evaluations" / "dfh_pilot_plan.yaml"
)
"""The homes pilot's analysis plan, which the demo lodges for project ``dfh-pilot``."""

plans_app = typer.Typer(help="Analysis plans lodged with governance.", no_args_is_help=True)
PlanFile = Annotated[Path, typer.Argument(help="The plan YAML file.", show_default=False)]


def _text(path: Path) -> str:
    """The plan as the evaluation reads it (so the hashes agree)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NightingaleError(f"{path}: cannot read the plan ({exc})") from exc


@plans_app.command("lodge")
def plans_lodge(ctx: typer.Context, project: str, plan: PlanFile, actor: As) -> None:
    """The PI lodges the project's analysis plan (before outcomes are released)."""
    from nightingale.operations import plans

    with unit(ctx, actor) as work:
        row = plans.lodge(work, project, _text(plan), str(plan))
        when, digest, name = row.lodged_at, row.sha256, row.plan_name
    console.print(f"[green]plan {name} lodged for {project}[/] on {when:%Y-%m-%d %H:%M} ({digest})")


@plans_app.command("amend")
def plans_amend(
    ctx: typer.Context, project: str, plan: PlanFile, actor: As, reason: Reason
) -> None:
    """The PI lodges a changed plan as an amendment, saying why."""
    from nightingale.operations import plans

    with unit(ctx, actor) as work:
        row = plans.amend(work, project, _text(plan), reason, str(plan))
        revision, digest, name = row.revision, row.sha256, row.plan_name
    console.print(f"[yellow]plan {name} of {project} amended[/] (revision {revision}, {digest})")


@plans_app.command("list")
def plans_list(ctx: typer.Context, project: str) -> None:
    """Every lodged version of the project's plans, with dates and hashes."""
    from nightingale.operations import plans

    with unit(ctx) as work:
        history = plans.history(work, project)
    rows = [
        [
            v.plan_name,
            "amendment" if v.amendment else "lodged",
            v.revision,
            v.plan_version,
            f"{v.lodged_at:%Y-%m-%d %H:%M} UTC",
            v.sha256,
            v.reason,
        ]
        for v in history
    ]
    columns = ["plan", "kind", "rev", "version", "when", "sha256", "reason"]
    show_table(f"Analysis plans of {project}", columns, rows)


@plans_app.command("show")
def plans_show(
    ctx: typer.Context,
    project: str,
    name: Annotated[
        str | None, typer.Option(help="The plan's name (when the project lodged several).")
    ] = None,
) -> None:
    """Print the current text of the project's lodged plan (its latest revision): what an
    analysis job's plan file must hold, word for word."""
    from nightingale.operations import plans

    with unit(ctx) as work:
        history = plans.history(work, project)
    names = sorted({v.plan_name for v in history})
    if not names:
        raise NightingaleError(f"project {project} has lodged no plan")
    chosen = name or names[0]
    if chosen not in names or (name is None and len(names) > 1):
        raise NightingaleError(
            f"project {project}'s plans are {', '.join(names)}: name one with --name"
        )
    latest = max((v for v in history if v.plan_name == chosen), key=lambda v: v.revision)
    typer.echo(latest.text, nl=False)


def lodge_pilot_plan(work: Unit, project: str = "dfh-pilot") -> str:
    """The pilot's PI lodges its plan unless that text is lodged already; the SHA-256."""
    from nightingale.operations import plans

    return plans.lodge(work, project, _text(PILOT_PLAN), str(PILOT_PLAN)).sha256


def _demo_lodge(run: DemoRun) -> None:
    """Stage 75: the PI (rita) lodges the pilot's analysis plan before the build."""
    from nightingale.cli.governance import governance_unit
    from nightingale.cli.governance_demo import PROJECT, REQUESTER

    with governance_unit(run.cli.settings, REQUESTER) as work:
        digest = lodge_pilot_plan(work, PROJECT)
    console.print(f"{REQUESTER} lodged the {PROJECT} analysis plan ({digest[:12]}...)")


DEMO_STAGES = [(75, "lodge the analysis plan", _demo_lodge)]


def register(app: typer.Typer) -> None:
    """Add the ``plans`` command group."""
    app.add_typer(plans_app, name="plans")
