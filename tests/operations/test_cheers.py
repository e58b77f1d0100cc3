"""The publish gate: an economic evaluation is published only with every CHEERS item filled.

Real components: an initialised data root with the demo cast and project, a real
economics bundle through the real airlock, the real publish operation and report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nightingale.analyses.economics.cheers import EVALUATOR_ITEMS
from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot, write_bundle
from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH
from nightingale.analyses.plan import load_plan
from nightingale.cli import governance_demo
from nightingale.cli.economics_demo import CHEERS_ANSWERS, _through_airlock
from nightingale.cli.governance import governance_unit
from nightingale.cli.plans import lodge_pilot_plan
from nightingale.governance import audit
from nightingale.governance.errors import PermissionDenied
from nightingale.operations import airlock, cheers, reports
from nightingale.platform.bootstrap import initialise
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from tests.analyses.economics.release_frames import pilot_release

CHEAP = {"password_hashing": {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    persons, panel = pilot_release(n=200, seed=4)
    result = evaluate_pilot(persons, panel, run=EconomicsRun(replicates=200, impute=False, seed=1))
    return write_bundle(result, tmp_path_factory.mktemp("econ") / "bundle", "r1", "0" * 64)


@pytest.fixture(scope="module")
def released_template(tmp_path_factory: pytest.TempPathFactory, bundle: Path) -> Path:
    """A data root with the cast, the pilot project and the economics bundle released."""
    root = tmp_path_factory.mktemp("template") / "var"
    settings = Settings(data_root=root, governance=CHEAP)
    initialise(settings)
    with governance_unit(settings) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
    assert _through_airlock(settings, "economics", bundle) == 1
    return root


@pytest.fixture
def released(settings: Settings, released_template: Path) -> Settings:
    shutil.copytree(released_template, settings.data_root)
    return settings.model_copy(update={"governance": CHEAP})


def publish(settings: Settings, answers: dict[int, str] | None) -> str:
    with governance_unit(settings, "eve") as work:
        result = airlock.publish(
            work, title="Pilot", output_ids=[1], result_id="pilot", cheers_answers=answers
        )
        return result.location


def test_publishing_with_empty_items_is_refused_naming_each_and_audited(
    released: Settings,
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        publish(released, None)
    message = str(refused.value)
    for item in ("1 Title", "4 Health economic analysis plan", "21 Approach to engagement"):
        assert item in message
    assert "27 Source of funding; 28 Conflicts of interest are empty" in message
    assert not (released.data_root / "published" / "pilot").exists()
    with governance_unit(released) as work:
        [entry] = audit.entries(work.session, action_prefix="result.publish.refused")
        assert "28 Conflicts of interest" in str(audit.details_of(entry)["reason"])


def test_one_missing_answer_is_enough_to_refuse(released: Settings) -> None:
    answers = cheers.read_answers(CHEERS_ANSWERS)
    answers[4] = "Plan lodged with the funder on 2026-01-01."
    del answers[28]
    with pytest.raises(PermissionDenied, match="item 28 Conflicts of interest is empty"):
        publish(released, answers)


def test_the_lodged_plan_fills_item_4_and_the_completed_checklist_reaches_the_report(
    released: Settings,
) -> None:
    with governance_unit(released, "rita") as work:
        lodge_pilot_plan(work)
    location = publish(released, cheers.read_answers(CHEERS_ANSWERS))
    folder = released.data_root / location
    items = {row["item"]: row for row in json.loads((folder / "cheers.json").read_text())["items"]}
    assert all(row["status"] != "to be completed by the evaluator" for row in items.values())
    version = load_plan(PLAN_PATH).plan.version
    assert items[4]["text"].startswith(f"Analysis plan dfh-pilot version {version} lodged")
    assert items[28]["text"] == "None declared."
    with governance_unit(released) as work:
        html = reports.write_report(work, folder).read_text()
    assert "0 to be completed by the evaluator" in html and "None declared." in html
    assert f"Plan dfh-pilot version {version} was lodged with governance on" in html


def test_a_checklist_changed_after_publishing_is_refused_by_the_report(released: Settings) -> None:
    answers = cheers.read_answers(CHEERS_ANSWERS)
    answers[4] = "Written before the analysis; held by the evaluation team."
    folder = released.data_root / publish(released, answers)
    path = folder / "cheers.json"
    path.write_text(path.read_text().replace("None declared.", "Funded by the developer."))
    with governance_unit(released) as work, pytest.raises(NightingaleError, match="CHEERS"):
        reports.write_report(work, folder)


def test_the_template_asks_for_every_evaluator_item(released: Settings) -> None:
    with governance_unit(released) as work:
        text = cheers.template(work, [1])
    for number in EVALUATOR_ITEMS:
        assert f"\n{number}: ''" in text
