"""``nightingale evaluate dfh-pilot``: a results bundle that is byte-identical on rerun."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import nightingale.analyses.notebooks
from nightingale.cli import main
from nightingale.platform.storage import write_parquet
from tests.analyses.pilot_release import pilot_release

NOTEBOOK = Path(nightingale.analyses.notebooks.__file__).with_name("dfh_pilot.ipynb")

SMALL_PLAN = """
plan: dfh-pilot
version: "0.0.1-test"
registered: "2026-11-27"
title: a small plan that exercises every kind of output
release_project: dfh-pilot
seed: 5
eq5d_value_set: synthetic_region
comparison:
  treatment: treated
  primary: doubly_robust
  covariates: [age_band, sex, ltc_count, log1p_emergency_admissions_pre, eq5d_pre_utility]
outcomes:
  - {name: emergency_admissions, kind: count, pre: emergency_admissions_pre,
     secondary: [negative_binomial, gee, did]}
  - {name: eq5d, kind: utility, secondary: [mixed, mice]}
  - {name: employed_days, kind: share}
survival: {outcome: emergency_admissions}
imputation: {n_imputations: 2, n_burnin: 1, period: 1}
"""


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    persons, panel, _truth = pilot_release(500, seed=81)
    release = tmp_path / "var" / "projects" / "dfh-pilot" / "releases" / "rel-1"
    release.mkdir(parents=True)
    write_parquet(release / "persons.parquet", persons)
    write_parquet(release / "panel.parquet", panel)
    (release / "manifest.json").write_text(json.dumps({"release_id": "rel-1"}))
    (tmp_path / "plan.yaml").write_text(SMALL_PLAN)
    return tmp_path


def _run(root: Path, out: Path) -> None:
    """Run the command as the console script does; success is a normal return or exit 0."""
    try:
        main(
            [
                "--data-root", str(root / "var"), "evaluate", "dfh-pilot", "--release", "rel-1",
                "--plan", str(root / "plan.yaml"), "--out", str(out),
            ]
        )  # fmt: skip
    except SystemExit as exited:
        assert exited.code in (0, None)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_runs_write_identical_bundles_recording_plan_and_release(data_root: Path) -> None:
    _run(data_root, data_root / "first")
    _run(data_root, data_root / "second")
    first, second = _digest(data_root / "first"), _digest(data_root / "second")
    assert first == second
    kinds = {Path(name).parts[0] for name in first}
    assert {"tables", "figures", "models", "bundle.json", "summary.txt"} <= kinds

    out = data_root / "first"
    manifest = json.loads((out / "bundle.json").read_text())
    release = data_root / "var" / "projects" / "dfh-pilot" / "releases" / "rel-1"
    assert manifest["plan_sha256"] == hashlib.sha256(SMALL_PLAN.encode()).hexdigest()
    assert (
        manifest["release_manifest_sha256"]
        == hashlib.sha256((release / "manifest.json").read_bytes()).hexdigest()
    )
    assert manifest["release_id"] == "rel-1"
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    main_table = pd.read_csv(out / "tables" / "main_estimates.csv")
    primary = main_table[main_table["primary"]]
    assert list(primary["analysis"]) == ["doubly_robust"] * 3  # one per outcome
    assert "doubly robust" in (out / "summary.txt").read_text()


def test_an_unknown_release_is_a_one_line_error(
    data_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--data-root", str(data_root / "var"), "evaluate", "dfh-pilot", "--release", "nope"])
    assert exited.value.code == 1
    assert "no release 'nope'" in capsys.readouterr().err


def test_the_notebook_template_compiles_and_names_outputs_the_bundle_has(data_root: Path) -> None:
    notebook = json.loads(Path(NOTEBOOK).read_text())
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for number, source in enumerate(code):
        compile(source, f"notebook cell {number}", "exec")
    _run(data_root, data_root / "bundle")
    written = {p.stem for p in (data_root / "bundle").rglob("*") if p.is_file()}
    referenced = set(re.findall(r'result\.(?:figures|tables)\["([a-z0-9_]+)"\]', "\n".join(code)))
    assert referenced <= written
