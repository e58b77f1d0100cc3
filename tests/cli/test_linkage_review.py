"""``nightingale linkage review list|show|decide``: the operator's clerical review."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nightingale.cli import main
from tests.operations.review_world import REVIEWERS, ReviewWorld, review_world

RHEA, ROWAN = REVIEWERS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewWorld]:
    yield review_world(tmp_path_factory.mktemp("cli-review"))


def _run(world: ReviewWorld, *argv: str) -> int:
    try:
        main(["--data-root", str(world.settings.data_root), "linkage", "review", *argv])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _first_pair(out: str) -> str:
    return next(
        line.split()[0] for line in out.splitlines() if line.startswith("  ") and "~" in line
    )


def test_list_show_and_decide(world: ReviewWorld, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(world, "list", "--as", RHEA) == 0
    out = capsys.readouterr().out
    assert f"link run {world.run_id}" in out and "decided" in out
    assert "estimated before review: precision" in out
    pair = _first_pair(out)
    assert _run(world, "show", pair, "--as", RHEA) == 0
    shown = capsys.readouterr().out
    assert "family_name" in shown and "nhs_number" in shown
    assert _run(world, "decide", pair, "match", "--as", RHEA, "--run", world.run_id) == 0
    assert "estimated after review (1 pairs)" in capsys.readouterr().out
    assert _run(world, "decide", pair, "match", "--as", RHEA) != 0
    assert "already decided" in capsys.readouterr().err
    assert _run(world, "decide", pair, "non-match", "--as", RHEA, "--revise") == 0
    assert _run(world, "list", "--as", RHEA) == 0
    assert "after review (1 pairs)" in capsys.readouterr().out


@pytest.mark.parametrize("who", ["sam", "rita", "lina"])
def test_others_are_refused(
    world: ReviewWorld, who: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(world, "list", "--as", who) != 0
    assert "refused" in capsys.readouterr().err
