"""Cohort operations: governance decides, linkage publishes demographics, cohorts builds,
governance records; and a release exists only when governance knows it.

Real components throughout: an initialised data root with the hand-made pilot region
(content, sealed identifiers, spine), the governance database with the demo cast and
project, the real policy.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from nightingale.cli import governance_demo
from nightingale.cli.plans import lodge_pilot_plan
from nightingale.governance import approvals, audit, enforcement, releases, requests
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.requests import DatasetNeed
from nightingale.operations.cohorts import build_request, estimate
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.contracts import read_manifest
from nightingale.platform.database import make_engine
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, visible_entries
from tests.cohorts import pilot_fixture
from tests.cohorts.conftest import write_region


@pytest.fixture
def submitted(settings: Settings) -> int:
    """A data root with the pilot region and the pilot's request submitted, not approved."""
    initialise(settings)
    write_region(DataRoot(settings.data_root), keystore_for(settings))
    with open_unit(settings, "rita") as unit:
        governance_demo.people_and_project(unit.session, unit.keystore, settings)
        request_id, status = governance_demo.linkage_request(unit)
        lodge_pilot_plan(unit)  # a release carrying outcomes needs a lodged plan
    assert status == "submitted"
    return request_id


def _approve(settings: Settings, request_id: int) -> None:
    for steward in ("sam", "sasha"):
        with open_unit(settings, steward) as unit:
            approvals.approve(unit.session, unit.keystore, request_id, steward, "reviewed")


def _releases(settings: Settings) -> list:
    return visible_entries(DataRoot(settings.data_root).releases("dfh-pilot"))


TINY = "the hand-made region has four people: k is 1 by construction (test data)"
"""A steward's override: the fixture's release is far below the spec's k target of 5."""


def test_an_approved_request_is_built_and_recorded(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with open_unit(settings, "sam") as unit:
        release = build_request(unit, submitted, k_override=TINY)
    assert _releases(settings) == [release.path]
    manifest = read_manifest(release.path)
    assert manifest.request_id == str(submitted)
    assert manifest.rows.persons == pilot_fixture.PERSONS.num_rows
    with open_unit(settings, "sam") as unit:
        assert requests.get_request(unit.session, submitted).status == "released"
        recorded = releases.list_releases(unit.session, project="dfh-pilot")
        assert [r.release_id for r in recorded] == [release.release_id]


def test_the_estimate_is_what_the_build_measures(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with open_unit(settings, "sam") as unit:
        spec_text = requests.get_request(unit.session, submitted).spec_text
        k = estimate(unit, spec_text)
        release = build_request(unit, submitted, k_override=TINY)
    assert release.manifest.k_anonymity.model_dump() == k.as_dict()


def test_a_unit_that_fails_after_the_build_leaves_no_release(
    settings: Settings, submitted: int
) -> None:
    _approve(settings, submitted)
    with pytest.raises(RuntimeError, match="after the build"), open_unit(settings, "sam") as unit:
        built = build_request(unit, submitted, k_override=TINY)
        assert built.path.is_dir()
        raise RuntimeError("the unit failed after the build")
    assert _releases(settings) == []
    with open_unit(settings, "sam") as unit:
        assert requests.get_request(unit.session, submitted).status == "approved"
        assert releases.list_releases(unit.session, project="dfh-pilot") == []


def test_an_unapproved_request_is_refused(settings: Settings, submitted: int) -> None:
    with pytest.raises(NightingaleError, match="refused"), open_unit(settings, "sam") as unit:
        build_request(unit, submitted)
    assert _releases(settings) == []


def test_a_withdrawn_request_is_refused(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with open_unit(settings, "rita") as unit:
        requests.withdraw_request(
            unit.session, unit.keystore, by="rita", request_id=submitted, reason="changed plan"
        )
    with pytest.raises(NightingaleError, match="refused"), open_unit(settings, "sam") as unit:
        build_request(unit, submitted)
    assert _releases(settings) == []


def test_an_expired_request_is_refused(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with open_unit(settings, "ada") as unit:
        after_the_end = date.today() + timedelta(days=4 * 365)
        enforcement.enforce(
            unit.session, unit.keystore, by="ada", data_root=settings.data_root, on=after_the_end
        )
    with pytest.raises(NightingaleError, match="refused"), open_unit(settings, "sam") as unit:
        build_request(unit, submitted)
    assert _releases(settings) == []


def test_a_project_member_may_not_build_their_own_release(
    settings: Settings, submitted: int
) -> None:
    _approve(settings, submitted)
    with pytest.raises(NightingaleError, match="refused"), open_unit(settings, "rita") as unit:
        build_request(unit, submitted)
    assert _releases(settings) == []


def _as_operator(settings: Settings, statement: str, **values: object) -> None:
    """Change governance rows behind the application's back, as an operator with
    database access would."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), values)
    finally:
        engine.dispose()


def test_a_spec_edited_after_approval_is_not_built(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with open_unit(settings, "sam") as unit:
        approved = requests.get_request(unit.session, submitted).spec_text
    widened = approved.replace(
        "between: [2020-01-01, 2022-12-31]", "between: [1900-01-01, 2100-12-31]"
    )
    assert widened != approved
    _as_operator(
        settings, "UPDATE gov_requests SET spec_text = :t WHERE id = :i", t=widened, i=submitted
    )
    with (
        pytest.raises(NightingaleError, match="changed after submission"),
        open_unit(settings, "sam") as unit,
    ):
        build_request(unit, submitted)
    assert _releases(settings) == []


def test_the_builder_refuses_datasets_the_round_did_not_hold(settings: Settings) -> None:
    """A request submitted straight to governance, under-reporting what its spec reads
    (housing only, though the pilot's spec reads health and employment too), is approved
    by one steward; the builder, asking the compiler, refuses to build it."""
    initialise(settings)
    write_region(DataRoot(settings.data_root), keystore_for(settings))
    with open_unit(settings, "rita") as unit:
        governance_demo.people_and_project(unit.session, unit.keystore, settings)
        request = requests.create_request(
            unit.session,
            unit.keystore,
            by="rita",
            project="dfh-pilot",
            title="housing only, supposedly",
            spec_text=governance_demo.spec_text(),
            datasets=[DatasetNeed("housing", "tenancies define the cohort")],
        )
        requests.submit_request(
            unit.session, unit.keystore, by="rita", request_id=request.id, reads=["housing"]
        )
        request_id = request.id
    with open_unit(settings, "sam") as unit:
        outcome = approvals.approve(unit.session, unit.keystore, request_id, "sam", "housing ok")
    assert outcome.status == "approved"
    with (
        pytest.raises(NightingaleError, match="reads employment, health, which round 1 did not"),
        open_unit(settings, "sam") as unit,
    ):
        build_request(unit, request_id)


def test_a_release_below_its_k_target_is_not_built_and_the_refusal_is_audited(
    settings: Settings, submitted: int
) -> None:
    _approve(settings, submitted)
    with (
        pytest.raises(PermissionDenied, match=r"k-anonymity 1 over age_band, sex, imd_quintile "
                      r"is below the target 5 .*a steward may build it with an override"),
        open_unit(settings, "sam") as unit,
    ):  # fmt: skip
        build_request(unit, submitted)
    assert _releases(settings) == []
    with open_unit(settings, "sam") as unit:
        assert requests.get_request(unit.session, submitted).status == "approved"
        (refusal,) = audit.entries(unit.session, action_prefix="request.build.refused")
        assert refusal.actor == "sam" and "below the target 5" in refusal.details


def test_a_stewards_override_builds_it_and_is_recorded_with_the_release(
    settings: Settings, submitted: int
) -> None:
    _approve(settings, submitted)
    with open_unit(settings, "sam") as unit:
        built = build_request(unit, submitted, k_override=TINY)
    assert not built.manifest.k_anonymity.meets_target
    with open_unit(settings, "sam") as unit:
        (release,) = releases.list_releases(unit.session, project="dfh-pilot")
        assert (release.k_override_by, release.k_override_reason) == ("sam", TINY)
        (entry,) = audit.entries(unit.session, action_prefix="release.k_override")
        assert entry.object_id == built.release_id and TINY in entry.details


def test_only_a_steward_off_the_project_may_override_and_only_with_a_reason(
    settings: Settings, submitted: int
) -> None:
    _approve(settings, submitted)
    with (
        pytest.raises(PermissionDenied, match="release.k_override needs the role data_steward"),
        open_unit(settings, "ada") as unit,
    ):
        build_request(unit, submitted, k_override=TINY)
    with pytest.raises(InvalidInput, match="needs a reason"), open_unit(settings, "sam") as unit:
        build_request(unit, submitted, k_override="  ")
    assert _releases(settings) == []
