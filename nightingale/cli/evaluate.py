"""``nightingale evaluate dfh-pilot --release ID``: run a pre-registered evaluation.

Loads the release ``<data_root>/projects/dfh-pilot/releases/<ID>/``, runs the pilot's
analysis plan on it and writes the results bundle (tables as CSV, figures as PNG, model
summaries as JSON, ``bundle.json`` with the plan's SHA-256 and the release's manifest
checksum) to ``<data_root>/projects/dfh-pilot/evaluations/<ID>/`` unless ``--out`` says
otherwise. The bundle's files are what a researcher submits to the airlock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nightingale.cli.context import state

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun

console = Console(highlight=False)
PROJECT = "dfh-pilot"

evaluate_app = typer.Typer(
    help="Run a pre-registered evaluation on a release and write its results bundle.",
    no_args_is_help=True,
)


def _evaluate(release_folder: Path, out: Path, plan: Path | None) -> None:
    from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH, run

    with console.status("evaluating the designed-for-health homes pilot"):
        folder, result = run(release_folder, out, plan or PLAN_PATH)
    console.print(result.summary)
    console.print(f"results bundle: {folder}")


@evaluate_app.command("dfh-pilot")
def dfh_pilot(
    ctx: typer.Context,
    release: Annotated[str, typer.Option("--release", help="Release id of project dfh-pilot.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Bundle folder (default: the project's evaluations/<ID>)."),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="Analysis plan YAML (default: the registered plan)."),
    ] = None,
    linkage_sensitivity: Annotated[
        bool,
        typer.Option(
            "--linkage-sensitivity",
            help="Also re-run the primary analysis on the cohort linked at other match-weight "
            "thresholds and add the spread to the bundle (needs --as).",
        ),
    ] = False,
    thresholds: Annotated[
        list[float] | None,
        typer.Option(
            "--threshold",
            help="A match-weight threshold to try (repeat; default: the release's and 2 "
            "either side). The release's own is always included.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as", envvar="NIGHTINGALE_ACTOR", help="Who is acting (may read the release)."
        ),
    ] = None,
) -> None:
    """Evaluate the designed-for-health homes pilot on one release."""
    from nightingale.platform.errors import NightingaleError
    from nightingale.platform.storage import DataRoot

    root = DataRoot(state(ctx).settings.data_root)
    folder = root.releases(PROJECT) / release
    if not folder.is_dir():
        raise NightingaleError(f"no release {release!r} of project {PROJECT} under {folder.parent}")
    target = out or root.projects / PROJECT / "evaluations" / release
    if linkage_sensitivity or thresholds:
        _evaluate_with_linkage(ctx, release, target, plan, thresholds, actor)
    else:
        _evaluate(folder, target, plan)


def _evaluate_with_linkage(
    ctx: typer.Context,
    release: str,
    out: Path,
    plan: Path | None,
    thresholds: list[float] | None,
    actor: str | None,
) -> None:
    from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH
    from nightingale.cli.governance import unit
    from nightingale.operations.linkage_sensitivity import evaluate_with_linkage_sensitivity

    with (
        unit(ctx, actor) as work,
        console.status("evaluating the pilot, and again at each linkage threshold"),
    ):
        folder, result = evaluate_with_linkage_sensitivity(
            work, release, out, plan or PLAN_PATH, thresholds
        )
    console.print(result.summary)
    console.print(f"results bundle: {folder}")


def register(app: typer.Typer) -> None:
    """Add the evaluate command group."""
    app.add_typer(evaluate_app, name="evaluate")


def _demo_evaluate(run: DemoRun) -> None:
    """Evaluate the latest dfh-pilot release that the demo built in stage 80."""
    from nightingale.analyses.evaluations.dfh_pilot import latest_release
    from nightingale.platform.storage import DataRoot

    root = DataRoot(run.cli.settings.data_root)
    releases = root.releases(PROJECT)
    if not releases.is_dir():
        console.print(f"no releases of {PROJECT} yet; skipping the evaluation")
        return
    folder = latest_release(releases)
    _evaluate(folder, root.projects / PROJECT / "evaluations" / folder.name, None)


DEMO_STAGES = [(90, "evaluation", _demo_evaluate)]
