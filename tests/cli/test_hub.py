"""``nightingale hub`` and the demo's last stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cli.context import CliState
from nightingale.cli.demo import DemoRun, collect_stages
from nightingale.cli.hub import _stage_serve


def test_the_demo_ends_with_the_serve_stage() -> None:
    assert collect_stages()[-1][:2] == (200, "serve")


def test_without_serving_the_demo_says_how_to_start_the_hub_and_who_can_log_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stage_serve(DemoRun(cli=CliState(data_root=tmp_path / "var"), serve=False))
    printed = " ".join(capsys.readouterr().out.split())
    assert f"nightingale --data-root {tmp_path / 'var'} hub" in printed
    assert "rita, sam, sasha, otto, owen, eve, ada, lina; password nightingale-demo" in printed
