"""``nightingale synth`` and the demo's synthetic-region stage, as a person meets them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nightingale.cli import main
from nightingale.cli.context import CliState
from nightingale.cli.demo import DemoRun, collect_stages
from nightingale.cli.synth import DEMO_FOLDER, DEMO_PEOPLE, _demo_region


def run(*args: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the CLI in this process (as the console script does); return its exit status."""
    monkeypatch.chdir(cwd)
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_synth_writes_a_region_and_refuses_to_overwrite_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("synth", "--people", "600", "--seed", "3", "--out", "region")
    assert run(*args, cwd=tmp_path, monkeypatch=monkeypatch) == 0
    assert "600 people" in capsys.readouterr().out
    assert (tmp_path / "region" / "manifest.json").is_file()
    assert (tmp_path / "region" / "extracts" / "health" / "gp_registrations.csv").is_file()

    assert run(*args, cwd=tmp_path, monkeypatch=monkeypatch) == 1
    error = capsys.readouterr().err
    assert "already exists" in error and "--force" in error

    assert run(*args, "--force", cwd=tmp_path, monkeypatch=monkeypatch) == 0


def test_no_noise_means_no_identifier_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("synth", "--people", "800", "--seed", "4", "--out", "clean", "--no-noise")
    assert run(*args, cwd=tmp_path, monkeypatch=monkeypatch) == 0
    with (tmp_path / "clean" / "truth" / "records.csv").open(newline="") as handle:
        records = list(csv.DictReader(handle))
    assert records
    assert {r["errors"] for r in records} == {""}
    assert {r["duplicate"] for r in records} == {"0"}


def test_bad_settings_are_refused_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("synth", "--people", "0", "--out", "x", cwd=tmp_path, monkeypatch=monkeypatch) != 0
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


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


def test_a_settings_file_configures_the_region_and_options_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "region.yaml"
    settings.write_text("people: 900\nseed: 8\nerrors:\n  nickname: 0.5\n", encoding="utf-8")
    args = ("synth", "--config", str(settings), "--people", "500", "--out", "configured")
    assert run(*args, cwd=tmp_path, monkeypatch=monkeypatch) == 0
    effects = json.loads((tmp_path / "configured" / "truth" / "effects.json").read_text())
    assert effects["people"] == 500
    assert effects["seed"] == 8
    assert effects["parameters"]["errors"]["nickname"] == 0.5

    settings.write_text("errors:\n  nickname: 1.5\n", encoding="utf-8")
    args = ("synth", "--config", str(settings), "--out", "refused")
    assert run(*args, cwd=tmp_path, monkeypatch=monkeypatch) == 1
    assert "errors.nickname" in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()


def test_synth_refresh_writes_the_next_extract_and_refuses_generation_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("synth", "--people", "300", "--seed", "9", "--out", "region")
    assert run(*args, cwd=tmp_path, monkeypatch=monkeypatch) == 0
    capsys.readouterr()

    refresh = ("synth", "--refresh-of", "region", "--months", "3", "--out", "next")
    assert run(*refresh, cwd=tmp_path, monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert "2026-09-30" in out and "withdrawn" in out
    manifest = json.loads((tmp_path / "next" / "manifest.json").read_text())
    assert manifest["refresh"]["months"] == 3
    assert (tmp_path / "next" / "truth" / "changes.csv").is_file()

    assert run(*refresh, cwd=tmp_path, monkeypatch=monkeypatch) == 1
    assert "already exists" in capsys.readouterr().err
    assert run(*refresh, "--force", cwd=tmp_path, monkeypatch=monkeypatch) == 0
    capsys.readouterr()

    mixed = ("synth", "--refresh-of", "region", "--months", "3", "--seed", "4", "--out", "x")
    assert run(*mixed, cwd=tmp_path, monkeypatch=monkeypatch) == 1
    error = capsys.readouterr().err
    assert "--seed" in error and "manifest.json" in error
    half = ("synth", "--refresh-of", "region", "--out", "x")
    assert run(*half, cwd=tmp_path, monkeypatch=monkeypatch) == 1
    assert "--months" in capsys.readouterr().err
    missing = ("synth", "--refresh-of", "nowhere", "--months", "3", "--out", "x")
    assert run(*missing, cwd=tmp_path, monkeypatch=monkeypatch) == 1
    assert "not a finished synthetic region" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
