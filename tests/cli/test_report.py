"""``nightingale report``: only what the airlock approved and released reaches a report.

Real components: an initialised data root, the governance database with the demo cast
and project, a real economics bundle, the real airlock and publishing calls.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot, write_bundle
from nightingale.cli import governance_demo
from nightingale.cli.economics_demo import publish_and_report, result_id_for
from nightingale.cli.governance import governance_unit
from nightingale.cli.plans import lodge_pilot_plan
from nightingale.governance.models import OutputRequest
from nightingale.operations.reports import write_report
from nightingale.platform.bootstrap import initialise
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from tests.analyses.economics.release_frames import pilot_release


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    persons, panel = pilot_release(n=200, seed=4)
    result = evaluate_pilot(persons, panel, run=EconomicsRun(replicates=200, impute=False, seed=1))
    return write_bundle(result, tmp_path_factory.mktemp("econ") / "bundle", "r1", "0" * 64)


CHEAP_PASSWORDS = {"password_hashing": {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised data root with the demo cast and the active pilot project, made once."""
    root = tmp_path_factory.mktemp("template") / "var"
    settings = Settings(data_root=root, governance=CHEAP_PASSWORDS)
    initialise(settings)
    with governance_unit(settings) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
    with governance_unit(settings, "rita") as work:
        lodge_pilot_plan(work)  # CHEERS item 4 comes from the lodged plan
    return root


@pytest.fixture
def governed(settings: Settings, template: Path) -> Settings:
    """A fresh copy of the template data root for one test."""
    shutil.copytree(template, settings.data_root)
    return settings.model_copy(update={"governance": CHEAP_PASSWORDS})


def published_folder(settings: Settings) -> Path:
    return settings.data_root / "published" / result_id_for("r1")


def test_published_result_renders_what_two_checkers_released(
    governed: Settings, bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = publish_and_report(governed, "r1", {"economics": bundle})
    assert report == published_folder(governed) / "report.html"
    printed = " ".join(capsys.readouterr().out.split())
    html = report.read_text()
    assert "CHEERS 2022" in html  # the checklist is always shown, complete or not
    # The file check blocks a figure without its data file: it never reaches the report.
    assert "left out economics_ce_plane.png (figure-without-data)" in printed
    assert 'id="figure-economics_ce_plane"' not in html
    assert "approved by otto: otto:" in html and "owen: owen:" in html
    with governance_unit(governed) as work:
        (output,) = work.session.query(OutputRequest).all()
        assert output.status == "released"
        assert [d.checker.username for d in output.decisions] == ["otto", "owen"]
    again = publish_and_report(governed, "r1", {"economics": bundle})  # idempotent
    assert again == report


def test_a_workspace_bundle_is_not_a_published_result(governed: Settings, bundle: Path) -> None:
    with (
        governance_unit(governed) as work,
        pytest.raises(NightingaleError, match="airlock approved"),
    ):
        write_report(work, bundle)


def test_a_file_changed_after_approval_is_refused(governed: Settings, bundle: Path) -> None:
    publish_and_report(governed, "r1", {"economics": bundle})
    folder = published_folder(governed)
    target = next(folder.glob("*-economics_net_benefit.csv"))
    target.write_text(target.read_text().replace("20000", "2000"))
    with governance_unit(governed) as work, pytest.raises(NightingaleError, match="changed after"):
        write_report(work, folder)


def test_an_output_request_no_longer_released_is_refused(governed: Settings, bundle: Path) -> None:
    publish_and_report(governed, "r1", {"economics": bundle})
    with governance_unit(governed) as work:
        for output in work.session.query(OutputRequest):
            output.status = "returned"  # e.g. withdrawn after a disclosure was found
    with governance_unit(governed) as work, pytest.raises(NightingaleError, match="not released"):
        write_report(work, published_folder(governed))


def test_unlisted_files_in_the_published_folder_never_reach_the_report(
    governed: Settings, bundle: Path
) -> None:
    publish_and_report(governed, "r1", {"economics": bundle})
    folder = published_folder(governed)
    shutil.copy(bundle / "tables" / "economics_costs_by_arm.csv", folder / "99-secret_table.csv")
    with governance_unit(governed) as work:
        html = write_report(work, folder).read_text()
    assert "secret_table" not in html
