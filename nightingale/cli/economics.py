"""``nightingale model run``, ``nightingale economics dfh-pilot`` and the economics demo stages.

``nightingale model run MODEL.yaml`` validates a model file, runs its base case and
prints the results as JSON on standard output: settings (cycle convention, discount
rates), each strategy's discounted cost, effect and net monetary benefit, and the
incremental analysis (status and ICER per strategy). ``--psa N`` adds a probabilistic
sensitivity analysis of ``N`` draws (mean costs and effects, CEAC, EVPI).

``nightingale economics dfh-pilot --release ID`` runs the pilot's within-study economic
evaluation on a release and writes its results bundle to
``<data_root>/projects/dfh-pilot/economics/<ID>/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from nightingale.cli.context import state

if TYPE_CHECKING:
    from nightingale.analyses.economics.evaluation import EconomicsRun
    from nightingale.cli.demo import DemoRun

console = Console(highlight=False)
PROJECT = "dfh-pilot"
model_app = typer.Typer(help="Long-term (Markov) cost-effectiveness models.", no_args_is_help=True)
economics_app = typer.Typer(help="Within-study economic evaluations.", no_args_is_help=True)


@model_app.command("run")
def model_run(
    model_file: Annotated[Path, typer.Argument(help="The model file (YAML).", show_default=False)],
    psa: Annotated[
        int, typer.Option("--psa", help="Also run a PSA with this many draws (0: none).", min=0)
    ] = 0,
    seed: Annotated[
        int | None, typer.Option("--seed", help="PSA seed (default: the model file's).")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="NAME=VALUE: fix a parameter at VALUE (e.g. an effect estimated in a trial); "
            "it then has no PSA distribution. Repeatable.",
        ),
    ] = None,
) -> None:
    """Run a model file and print its results as JSON."""
    from nightingale.analyses.economics.markov.run import run_base_case, run_psa
    from nightingale.analyses.economics.markov.spec import load_model, with_fixed

    spec, folder = load_model(model_file)
    spec = with_fixed(spec, _parse_overrides(overrides or []))
    result: dict[str, Any] = run_base_case(spec, folder).to_json()
    if psa:
        result["psa"] = run_psa(spec, folder, samples=psa, seed=seed).to_json()
    json.dump(result, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def _parse_overrides(items: list[str]) -> dict[str, float]:
    from nightingale.platform.errors import NightingaleError

    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        try:
            if not sep:
                raise ValueError
            values[name.strip()] = float(text)
        except ValueError as exc:
            raise NightingaleError(f"--set {item!r}: expected NAME=NUMBER") from exc
    return values


def _run_pilot(release_folder: Path, out: Path, run: EconomicsRun) -> Path:
    from nightingale.analyses.economics.evaluation import evaluate_pilot, write_bundle
    from nightingale.analyses.evaluations.dfh_pilot import load_release

    release = load_release(release_folder)
    with console.status("economic evaluation of the designed-for-health homes pilot"):
        result = evaluate_pilot(release.persons, release.panel, run=run)
    write_bundle(result, out, release.release_id, release.manifest_sha256)
    console.print(result.summary)
    console.print(f"economics bundle: {out}")
    return out


@economics_app.command("dfh-pilot")
def economics_dfh_pilot(
    ctx: typer.Context,
    release: Annotated[str, typer.Option("--release", help="Release id of project dfh-pilot.")],
    replicates: Annotated[int, typer.Option(help="Bootstrap replicates.", min=100)] = 5_000,
    imputations: Annotated[int, typer.Option(help="Multiple imputations (0: none).", min=0)] = 10,
) -> None:
    """Cost-effectiveness of the homes pilot on one release (writes a results bundle)."""
    from nightingale.analyses.economics.evaluation import EconomicsRun
    from nightingale.platform.errors import NightingaleError
    from nightingale.platform.storage import DataRoot

    root = DataRoot(state(ctx).settings.data_root)
    folder = root.releases(PROJECT) / release
    if not folder.is_dir():
        raise NightingaleError(f"no release {release!r} of project {PROJECT} under {folder.parent}")
    run = EconomicsRun(
        replicates=replicates, imputations=max(imputations, 2), impute=imputations > 0
    )
    _run_pilot(folder, root.projects / PROJECT / "economics" / release, run)


def register(app: typer.Typer) -> None:
    """Add ``model run`` and ``economics dfh-pilot``."""
    app.add_typer(model_app, name="model")
    app.add_typer(economics_app, name="economics")


def _latest_release(run: DemoRun) -> Path | None:
    from nightingale.analyses.evaluations.dfh_pilot import latest_release
    from nightingale.platform.storage import DataRoot

    releases = DataRoot(run.cli.settings.data_root).releases(PROJECT)
    if not releases.is_dir():
        console.print(f"no releases of {PROJECT} yet; skipping")
        return None
    return latest_release(releases)


def _demo_economics(run: DemoRun) -> None:
    """Stage 100: the pilot's economic evaluation on the release built in stage 80."""
    from nightingale.analyses.economics.evaluation import EconomicsRun

    folder = _latest_release(run)
    if folder is None:
        return
    out = run.cli.settings.data_root / "projects" / PROJECT / "economics" / folder.name
    # Demo sizes: a publication run uses the defaults (5,000 replicates, m = 10).
    _run_pilot(folder, out, EconomicsRun(replicates=2_000, imputations=5, burn_in=3, skip=0))


def _demo_publish(run: DemoRun) -> None:
    """Stage 110: airlock (otto and owen), publish (eve) and the HTML report."""
    from nightingale.cli.economics_demo import publish_and_report

    folder = _latest_release(run)
    if folder is None:
        return
    project = run.cli.settings.data_root / "projects" / PROJECT
    bundles = {
        label: project / sub / folder.name
        for label, sub in (("evaluation", "evaluations"), ("economics", "economics"))
        if (project / sub / folder.name).is_dir()
    }
    if not bundles:
        console.print("no results bundles to publish; skipping")
        return
    report = publish_and_report(run.cli.settings, folder.name, bundles)
    console.print(f"report: {report}")


DEMO_STAGES = [(100, "economics", _demo_economics), (110, "airlock and publish", _demo_publish)]
