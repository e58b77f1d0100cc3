"""``nightingale jobs``: run, list, show, logs and submit, through the console script."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nightingale.cli import main
from nightingale.platform.settings import Settings
from tests.operations.jobs_world import lodge_plan, make_repository
from tests.workspace_world import build_world

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="isolated jobs need root (CI runs as root)",
)


def cli(settings: Settings, *args: str) -> int:
    try:
        main(["--data-root", str(settings.data_root), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_run_show_logs_and_submit_a_job(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = build_world(settings)
    world.released("dfh-pilot", "rita")
    lodge_plan(world)
    repo = make_repository(tmp_path)
    assert (
        cli(settings, "jobs", "run", "dfh-pilot", "counts", "--repo", str(repo), "--as", "rita")
        == 0
    )
    assert "job 1 succeeded" in capsys.readouterr().out
    assert cli(settings, "jobs", "show", "1", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "succeeded" and shown["release_id"] == "r1-dfh-pilot"
    assert cli(settings, "jobs", "list", "--project", "dfh-pilot") == 0
    assert "counts" in capsys.readouterr().out
    assert cli(settings, "jobs", "reap") == 0
    assert "no running job has lost its runner" in capsys.readouterr().out
    assert (
        cli(settings, "jobs", "run", "dfh-pilot", "probe", "--repo", str(repo), "--as", "ray") == 3
    )
    (repo / "analysis" / "probe.py").write_text(
        "print('hello from the job')\nraise SystemExit(2)\n"
    )
    code = cli(
        settings, "jobs", "run", "dfh-pilot", "probe", "--repo", str(repo), "--as", "rita",
        "--allow-dirty",
    )  # fmt: skip
    assert code == 1
    capsys.readouterr()
    assert cli(settings, "jobs", "logs", "2") == 0
    assert "hello from the job" in capsys.readouterr().out
    submitted = cli(
        settings, "jobs", "submit", "1", "output/counts.csv", "--title", "Counts", "--as", "rita"
    )
    assert submitted == 0
    assert "submitted from job 1" in capsys.readouterr().out
