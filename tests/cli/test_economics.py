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


def test_model_run_set_fixes_a_parameter_for_the_run(tmp_path: Path) -> None:
    model = str(EXAMPLE / "sick_sicker.yaml")
    weaker = run("model", "run", model, "--set", "hr_S1S2_trtB=0.7", cwd=tmp_path)
    assert weaker.returncode == 0, weaker.stderr
    icers = {row["strategy"]: row["icer"] for row in json.loads(weaker.stdout)["incremental"]}
    assert icers["Strategy B"] > 72_988  # a weaker treatment effect costs more per QALY
    typo = run("model", "run", model, "--set", "hr_typo=1", cwd=tmp_path)
    assert typo.returncode == 1 and "no parameters ['hr_typo']" in typo.stderr


def test_model_run_reports_an_invalid_file_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nstates: [A]\n")
    result = run("model", "run", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad.yaml" in result.stderr


def test_economics_dfh_pilot_writes_a_bundle_from_a_release(tmp_path: Path) -> None:
    from nightingale.platform.storage import write_parquet
    from tests.analyses.economics.release_frames import pilot_release

    persons, panel = pilot_release(n=150, seed=2)
    release = tmp_path / "var" / "projects" / "dfh-pilot" / "releases" / "r1"
    write_parquet(release / "persons.parquet", persons)
    write_parquet(release / "panel.parquet", panel)
    (release / "manifest.json").write_text(json.dumps({"release_id": "r1"}))
    result = run(
        "--data-root", "var", "economics", "dfh-pilot", "--release", "r1",
        "--replicates", "200", "--imputations", "0", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "var" / "projects" / "dfh-pilot" / "economics" / "r1"
    assert (bundle / "figures" / "economics_ce_plane.png").is_file()
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["release_id"] == "r1"
    assert "tables/economics_net_benefit.csv" in manifest["files"]
    missing = run("--data-root", "var", "economics", "dfh-pilot", "--release", "nope", cwd=tmp_path)
    assert missing.returncode == 1 and "no release 'nope'" in missing.stderr
