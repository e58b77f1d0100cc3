"""``nightingale model run`` (long-term models) and the economics demo stages.

``nightingale model run MODEL.yaml`` validates a model file, runs its base case and
prints the results as JSON on standard output: settings (cycle convention, discount
rates), each strategy's discounted cost, effect and net monetary benefit, and the
incremental analysis (status and ICER per strategy). ``--psa N`` adds a probabilistic
sensitivity analysis of ``N`` draws (mean costs and effects, CEAC, EVPI).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

model_app = typer.Typer(help="Long-term (Markov) cost-effectiveness models.", no_args_is_help=True)


@model_app.command("run")
def model_run(
    model_file: Annotated[Path, typer.Argument(help="The model file (YAML).", show_default=False)],
    psa: Annotated[
        int, typer.Option("--psa", help="Also run a PSA with this many draws (0: none).", min=0)
    ] = 0,
    seed: Annotated[
        int | None, typer.Option("--seed", help="PSA seed (default: the model file's).")
    ] = None,
) -> None:
    """Run a model file and print its results as JSON."""
    from nightingale.analyses.economics.markov.run import run_base_case, run_psa
    from nightingale.analyses.economics.markov.spec import load_model

    spec, folder = load_model(model_file)
    result: dict[str, Any] = run_base_case(spec, folder).to_json()
    if psa:
        result["psa"] = run_psa(spec, folder, samples=psa, seed=seed).to_json()
    json.dump(result, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def register(app: typer.Typer) -> None:
    """Add ``model`` (and its ``run``)."""
    app.add_typer(model_app, name="model")
