"""``nightingale synth`` and the demo's synthetic-region stage, as a person meets them."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from nightingale.cli.context import CliState
from nightingale.cli.demo import DemoRun, collect_stages
from nightingale.cli.synth import DEMO_FOLDER, DEMO_PEOPLE, _demo_region


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


def test_synth_writes_a_region_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    result = run("synth", "--people", "600", "--seed", "3", "--out", "region", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "600 people" in result.stdout
    assert (tmp_path / "region" / "manifest.json").is_file()
    assert (tmp_path / "region" / "extracts" / "health" / "gp_registrations.csv").is_file()

    again = run("synth", "--people", "600", "--seed", "3", "--out", "region", cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr and "--force" in again.stderr


def test_no_noise_means_no_identifier_errors(tmp_path: Path) -> None:
    result = run(
        "synth", "--people", "800", "--seed", "4", "--out", "clean", "--no-noise", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    with (tmp_path / "clean" / "truth" / "records.csv").open(newline="") as handle:
        records = list(csv.DictReader(handle))
    assert records
    assert {r["errors"] for r in records} == {""}
    assert {r["duplicate"] for r in records} == {"0"}


def test_bad_settings_are_one_line_errors(tmp_path: Path) -> None:
    result = run("synth", "--people", "0", "--out", "x", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_demo_stage_completes_a_partial_region_once(tmp_path: Path) -> None:
    assert any(name == "synthetic region" and order == 30 for order, name, _ in collect_stages())
    demo = DemoRun(cli=CliState(data_root=tmp_path), serve=False)
    target = tmp_path / DEMO_FOLDER
    (target / "extracts").mkdir(parents=True)  # an interrupted earlier attempt
    _demo_region(demo)
    manifest = target / "manifest.json"
    assert manifest.is_file()
    with (target / "truth" / "people.csv").open() as handle:
        assert sum(1 for _ in handle) == DEMO_PEOPLE + 1
    written = manifest.stat().st_mtime_ns
    _demo_region(demo)
    assert manifest.stat().st_mtime_ns == written
