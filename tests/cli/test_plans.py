"""``nightingale plans`` and ``nightingale registry export`` from the command line.

Real components: the console script's entry point on an initialised data root with the
demo cast and project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cli import governance_demo, main
from nightingale.cli.governance import governance_unit
from nightingale.cli.plans import PILOT_PLAN
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings


@pytest.fixture
def root(settings: Settings) -> str:
    initialise(settings)
    with governance_unit(settings) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
    return str(settings.data_root)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


def test_the_pi_lodges_a_changed_plan_is_refused_then_amended_and_listed(
    root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(capsys, "--data-root", root, "plans", "lodge", "dfh-pilot", str(PILOT_PLAN),
                    "--as", "rita")  # fmt: skip
    assert code == 0 and "plan dfh-pilot lodged for dfh-pilot" in out
    changed = tmp_path / "plan.yaml"
    changed.write_text(PILOT_PLAN.read_text().replace("seed: 2026", "seed: 7"))
    code, out = cli(capsys, "--data-root", root, "plans", "lodge", "dfh-pilot", str(changed),
                    "--as", "rita")  # fmt: skip
    assert code == 4 and "it is an amendment" in out
    code, out = cli(capsys, "--data-root", root, "plans", "amend", "dfh-pilot", str(changed),
                    "--as", "rita", "--reason", "new seed")  # fmt: skip
    assert code == 0 and "revision 1" in out
    code, out = cli(capsys, "--data-root", root, "plans", "list", "dfh-pilot")
    assert code == 0 and "amendment" in out and "new seed" in out


def test_show_prints_the_current_lodged_text_word_for_word(
    root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(capsys, "--data-root", root, "plans", "show", "dfh-pilot")
    assert code != 0 and "has lodged no plan" in out
    cli(capsys, "--data-root", root, "plans", "lodge", "dfh-pilot", str(PILOT_PLAN), "--as", "rita")
    with pytest.raises(SystemExit) as done:
        main(["--data-root", root, "plans", "show", "dfh-pilot"])
    assert done.value.code == 0 and capsys.readouterr().out == PILOT_PLAN.read_text()
    changed = tmp_path / "plan.yaml"
    changed.write_text(PILOT_PLAN.read_text().replace("seed: 2026", "seed: 7"))
    cli(capsys, "--data-root", root, "plans", "amend", "dfh-pilot", str(changed), "--as", "rita",
        "--reason", "new seed")  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(["--data-root", root, "plans", "show", "dfh-pilot", "--name", "dfh-pilot"])
    assert done.value.code == 0 and capsys.readouterr().out == changed.read_text()


def test_only_the_pi_may_lodge(root: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(capsys, "--data-root", root, "plans", "lodge", "dfh-pilot", str(PILOT_PLAN),
                    "--as", "sam")  # fmt: skip
    assert code == 3 and "plan.lodge needs the role researcher" in out


def test_the_registry_is_exported_to_a_folder(
    root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(capsys, "--data-root", root, "registry", "export", str(tmp_path / "site"))
    assert code == 0 and "1 projects, 0 plans, 0 results" in out
    assert (
        "Designed-for-health homes pilot evaluation" in (tmp_path / "site/index.html").read_text()
    )
