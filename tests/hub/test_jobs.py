"""The job sandbox's view of the disk, proven by running its script (the job runs in
tests/operations/test_jobs.py end to end)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.hub.jobs import TMP, IsolatedRunner, job_command, job_script, kept_under_tmp
from nightingale.operations.jobs import Limits, Sandbox

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="private mount namespaces need root (CI runs as root)",
)


def _sandbox(tmp_path: Path, command: list[str]) -> Sandbox:
    work = tmp_path / "job" / "work"
    work.mkdir(parents=True)
    return Sandbox(
        job_id=1,
        person_id=1,
        project_id=1,
        work=work,
        release=None,
        command=command,
        log=tmp_path / "job" / "job.log",
        limits=Limits(seconds=60),
    )


def _run(tmp_path: Path, environment: Path, probe: str) -> subprocess.CompletedProcess[str]:
    """``probe`` (shell) run as the job would be, with ``environment`` as its venv."""
    sandbox = _sandbox(tmp_path, ["/bin/sh", "-c", probe])
    staging = tmp_path / "job" / "staging"
    staging.mkdir(mode=0o700)
    script = job_script(sandbox, staging=staging, environment=environment)
    return subprocess.run(
        job_command(script, sandbox.command), capture_output=True, text=True, timeout=60
    )


def test_a_virtual_environment_under_tmp_is_kept_and_nothing_else_of_the_hosts_tmp() -> None:
    assert kept_under_tmp([Path("/usr"), TMP / "x" / ".venv"]) == [TMP / "x" / ".venv"]
    assert kept_under_tmp([Path("/usr"), Path("/work/main/.venv")]) == []
    assert kept_under_tmp([TMP / "x", TMP / "x" / ".venv"]) == [TMP / "x"]
    assert kept_under_tmp([TMP]) == []


@given(st.lists(st.lists(st.sampled_from(["a", "b", "venv"]), max_size=3), max_size=4))
def test_the_kept_folders_cover_every_folder_under_tmp_and_never_nest(
    parts: list[list[str]],
) -> None:
    folders = [TMP.joinpath(*p) for p in parts]
    kept = kept_under_tmp(folders)
    for folder in folders:
        if folder != TMP:
            assert any(folder.is_relative_to(k) for k in kept)
    for one in kept:
        assert not any(one != other and one.is_relative_to(other) for other in kept)


@needs_root
def test_a_job_sees_its_interpreters_folder_under_tmp_read_only(tmp_path: Path) -> None:
    assert tmp_path.is_relative_to(TMP), "the test needs pytest's folders under /tmp"
    venv = tmp_path / "checkout" / ".venv"
    venv.mkdir(parents=True)
    (venv / "marker").write_text("the environment\n")
    (tmp_path / "secret.txt").write_text("the host's /tmp")
    result = _run(
        tmp_path,
        venv,
        f"cat {venv}/marker; ls {tmp_path}; touch {venv}/written || echo refused; "
        "touch /tmp/scratch && echo private-tmp-writable",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "the environment"
    assert "secret.txt" not in result.stdout, "the host's /tmp must stay hidden"
    assert "refused" in result.stdout and "Read-only file system" in result.stderr
    assert "private-tmp-writable" in result.stdout
    assert not (venv / "written").exists()
    assert not (TMP / "scratch").exists()


@needs_root
def test_without_keeping_it_the_private_tmp_hides_a_folder_under_tmp(tmp_path: Path) -> None:
    venv = tmp_path / "checkout" / ".venv"
    venv.mkdir(parents=True)
    (venv / "marker").write_text("the environment")
    result = _run(tmp_path, Path(sys.prefix), f"cat {venv}/marker")
    assert result.returncode != 0
    assert "No such file" in result.stderr


@needs_root
def test_the_runner_leaves_no_staging_folder_behind(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, ["/bin/true"])
    outcome = IsolatedRunner().run(sandbox)
    assert outcome.exit_code == 0, sandbox.log.read_text()
    assert sorted(p.name for p in sandbox.log.parent.iterdir()) == ["job.log", "work"]
