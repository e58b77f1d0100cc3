"""The CLI as a person meets it: help, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "doctor", "demo"):
        assert command in result.stdout


def test_init_then_doctor_pass_and_use_the_data_root_option(tmp_path: Path) -> None:
    assert run("--data-root", "root", "init", cwd=tmp_path).returncode == 0
    again = run("--data-root", "root", "init", cwd=tmp_path)
    assert "nothing changed" in again.stdout
    doctor = run("--data-root", "root", "doctor", cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout
    assert doctor.stdout.count("ok ") >= 4


def test_data_root_defaults_to_var_in_the_working_directory(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "var" / ".nightingale").is_file()


def test_doctor_fails_with_an_explanation_and_no_traceback(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    os.chmod(tmp_path / "var" / "keys" / "linkage-v1.key", 0o644)
    result = run("doctor", cwd=tmp_path)
    assert result.returncode == 1
    assert "chmod 600" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_errors_are_one_line_unless_debug(tmp_path: Path, debug: bool) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "notes.txt").write_text("x")
    result = run(*(["--debug"] if debug else []), "init", cwd=tmp_path)
    assert result.returncode != 0
    assert "not a Nightingale data root" in result.stderr
    assert ("Traceback" in result.stderr) == debug
    if not debug:
        assert len(result.stderr.strip().splitlines()) == 1
