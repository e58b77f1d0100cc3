"""Lodged plans as operations: the build of a release with outcomes waits for the plan.

Real components: an initialised data root with the hand-made pilot region, the demo
cast and project, the pilot's request and plan, the real builder and policy.
"""

from __future__ import annotations

import pytest

from nightingale.cli import governance_demo
from nightingale.cli.plans import PILOT_PLAN, lodge_pilot_plan
from nightingale.governance import approvals, audit
from nightingale.governance.errors import PermissionDenied
from nightingale.operations import plans
from nightingale.operations.cohorts import build_request
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, visible_entries
from tests.cohorts.conftest import write_region


@pytest.fixture
def approved(settings: Settings) -> int:
    """The pilot's request approved by two stewards; no plan lodged yet."""
    initialise(settings)
    write_region(DataRoot(settings.data_root), keystore_for(settings))
    with open_unit(settings, "rita") as unit:
        governance_demo.people_and_project(unit.session, unit.keystore, settings)
        request_id, _ = governance_demo.linkage_request(unit)
    for steward in ("sam", "sasha"):
        with open_unit(settings, steward) as unit:
            approvals.approve(unit.session, unit.keystore, request_id, steward, "reviewed")
    return request_id


def test_a_build_with_outcomes_before_the_plan_is_lodged_is_refused_and_audited(
    settings: Settings, approved: int
) -> None:
    with (
        pytest.raises(PermissionDenied, match="lodged no analysis plan.*emergency_admissions"),
        open_unit(settings, "sam") as unit,
    ):
        build_request(unit, approved)
    assert visible_entries(DataRoot(settings.data_root).releases("dfh-pilot")) == []
    with open_unit(settings, "sam") as unit:
        refused = audit.entries(unit.session, action_prefix="request.build_outcomes.refused")
        assert [e.object_id for e in refused] == [str(approved)]
    with open_unit(settings, "rita") as unit:
        lodge_pilot_plan(unit)
    with open_unit(settings, "sam") as unit:  # four people of test data: k is 1
        assert build_request(unit, approved, k_override="test data").path.is_dir()


def test_a_plan_is_lodged_only_for_the_project_it_names(settings: Settings, approved: int) -> None:
    text = PILOT_PLAN.read_text(encoding="utf-8").replace(
        "release_project: dfh-pilot", "release_project: other"
    )
    with (
        pytest.raises(NightingaleError, match="release_project is 'other'"),
        open_unit(settings, "rita") as unit,
    ):
        plans.lodge(unit, "dfh-pilot", text, "changed.yaml")


def test_an_invalid_plan_is_refused_before_governance_sees_it(
    settings: Settings, approved: int
) -> None:
    with (
        pytest.raises(NightingaleError, match="invalid analysis plan"),
        open_unit(settings, "rita") as unit,
    ):
        plans.lodge(unit, "dfh-pilot", "plan: dfh-pilot\n", "bad.yaml")


def test_a_changed_plan_file_shows_as_an_amendment_with_its_date(
    settings: Settings, approved: int
) -> None:
    with open_unit(settings, "rita") as unit:
        lodged = lodge_pilot_plan(unit)
    changed = PILOT_PLAN.read_text(encoding="utf-8").replace("seed: 2026", "seed: 2027")
    with (
        pytest.raises(NightingaleError, match="it is an amendment"),
        open_unit(settings, "rita") as unit,
    ):
        plans.lodge(unit, "dfh-pilot", changed, "changed.yaml")
    with open_unit(settings, "rita") as unit:
        plans.amend(unit, "dfh-pilot", changed, "seed chosen again", "changed.yaml")
    with open_unit(settings, "rita") as unit:
        history = plans.history(unit, "dfh-pilot")
    assert [(v.revision, v.amendment) for v in history] == [(0, False), (1, True)]
    assert history[0].sha256 == lodged and history[1].reason == "seed chosen again"
