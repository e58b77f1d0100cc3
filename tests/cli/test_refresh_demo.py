"""The demo's refresh stage: after the pilot is published, the providers' next extract."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cli.context import CliState
from nightingale.cli.demo import DemoRun, collect_stages
from nightingale.cli.refresh_demo import _demo_refresh
from nightingale.platform.errors import NightingaleError


def test_the_refresh_comes_after_publishing_and_before_the_registry() -> None:
    names = [name for _, name, _ in collect_stages()]
    assert (
        names.index("airlock and publish") < names.index("refresh") < names.index("public registry")
    )


def test_without_the_demo_region_the_refresh_says_which_stage_writes_it(tmp_path: Path) -> None:
    run = DemoRun(cli=CliState(data_root=tmp_path / "var"), serve=False)
    with pytest.raises(NightingaleError, match="no demo region \\(stage 30 writes it\\)"):
        _demo_refresh(run)
