"""``nightingale model run`` prints a model's results as JSON; bad files get one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "nightingale/analyses/economics/examples"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIGHTINGALE_")}
    return subprocess.run(
        [sys.executable, "-m", "nightingale", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_model_run_prints_costs_effects_and_icers_as_json(tmp_path: Path) -> None:
    result = run("model", "run", str(EXAMPLE / "sick_sicker.yaml"), "--psa", "50", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    icers = {row["strategy"]: row["icer"] for row in output["incremental"]}
    assert round(icers["Strategy B"]) == 72_988
    assert icers["Strategy A"] is None  # dominated: no ICER
    assert output["psa"]["samples"] == 50
    assert set(output["psa"]["ceac"]) == {s["strategy"] for s in output["strategies"]}


def test_model_run_reports_an_invalid_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstates: [A]\n")
    result = run("model", "run", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad.yaml" in result.stderr
