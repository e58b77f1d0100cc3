"""Linkage requests from draft to release: who may decide, how many must agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nightingale.governance import approvals, audit, people, projects, releases, requests
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.requests import DatasetNeed
from nightingale.governance.settings import GovernanceSettings
from nightingale.platform import database
from tests.governance.conftest import READS, SPEC, SPEC_SHA256, TODAY, Platform

HEALTH = DatasetNeed("health", "outcomes", {"emergency_admissions": "primary outcome"})
HOUSING = DatasetNeed("housing", "exposure", {"tenancy_start": "index date"})


def submitted_request(platform: Platform, needs: list[DatasetNeed]) -> int:
    request = platform.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="cohort",
        spec_text=SPEC,
        datasets=needs,
    )
    platform.act(requests.submit_request, by="rita", request_id=request.id, reads=READS)
    return request.id


def status_of(platform: Platform, request_id: int) -> str:
    return platform.read(requests.get_request, request_id).status


def refusals(platform: Platform, prefix: str) -> list[str]:
    return [e.actor for e in platform.read(lambda s: list(audit.entries(s, action_prefix=prefix)))]


def test_health_data_needs_two_different_stewards(cast: Platform) -> None:
    request_id = submitted_request(cast, [HEALTH, HOUSING])
    first = cast.act(approvals.approve, request_id, "sam", "proportionate")
    assert (first.status, first.approvals, first.needed) == ("submitted", 1, 2)
    with pytest.raises(PermissionDenied, match="already decided"):
        cast.act(approvals.approve, request_id, "sam", "again")
    second = cast.act(approvals.approve, request_id, "sasha", "agreed")
    assert (second.status, second.approvals) == ("approved", 2)


def test_without_special_category_data_one_approval_is_enough(sqlite_cast: Platform) -> None:
    request_id = submitted_request(sqlite_cast, [HOUSING])
    assert sqlite_cast.act(approvals.approve, request_id, "sam", "fine").status == "approved"


def test_the_number_of_approvals_is_configurable(sqlite_cast: Platform) -> None:
    request_id = submitted_request(sqlite_cast, [HOUSING])
    strict = GovernanceSettings(ordinary_approvals=2)
    outcome = sqlite_cast.act(approvals.approve, request_id, "sam", "ok", settings=strict)
    assert (outcome.status, outcome.needed) == ("submitted", 2)


def test_the_requester_cannot_approve_and_the_refusal_is_audited(cast: Platform) -> None:
    request_id = submitted_request(cast, [HOUSING])
    with pytest.raises(PermissionDenied, match="needs the role data_steward"):
        cast.act(approvals.approve, request_id, "rita", "my own")
    assert refusals(cast, "request.decide.refused") == ["rita"]
    assert status_of(cast, request_id) == "submitted"


def test_a_rejection_is_final_and_changes_start_a_new_round(sqlite_cast: Platform) -> None:
    request_id = submitted_request(sqlite_cast, [HEALTH])
    sqlite_cast.act(approvals.approve, request_id, "sam", "ok")
    sqlite_cast.act(approvals.request_changes, request_id, "sasha", "fewer variables")
    assert status_of(sqlite_cast, request_id) == "changes_requested"
    sqlite_cast.act(requests.submit_request, by="rita", request_id=request_id, reads=READS)
    outcome = sqlite_cast.act(approvals.approve, request_id, "sasha", "better now")
    assert (outcome.status, outcome.approvals) == ("submitted", 1)
    sqlite_cast.act(approvals.reject, request_id, "sam", "changed my mind")
    assert status_of(sqlite_cast, request_id) == "rejected"


def test_a_malformed_spec_is_refused_and_audited(cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="not valid YAML at line"):
        cast.act(
            requests.create_request,
            by="rita",
            project="dfh-pilot",
            title="t",
            spec_text="a: 1\nb: [unclosed\nc: 2\n",
            datasets=[HOUSING],
        )
    with pytest.raises(InvalidInput, match="must be a YAML mapping, not list"):
        cast.act(
            requests.create_request,
            by="rita",
            project="dfh-pilot",
            title="t",
            spec_text="- a\n- b\n",
            datasets=[HOUSING],
        )
    assert refusals(cast, "request.create.refused") == ["rita", "rita"]
    assert cast.read(requests.list_requests) == []


def test_the_cohorts_validator_is_consulted(sqlite_cast: Platform) -> None:
    def validator(text: str) -> list[str]:
        return ["population.source: unknown table housing.tenancies"] if "tenancies" in text else []

    with pytest.raises(InvalidInput, match="unknown table housing.tenancies"):
        sqlite_cast.act(
            requests.create_request,
            by="rita",
            project="dfh-pilot",
            title="t",
            spec_text=SPEC,
            datasets=[HOUSING],
            validate_spec=validator,
        )


def test_unknown_datasets_and_missing_justifications_are_named(sqlite_cast: Platform) -> None:
    needs = [DatasetNeed("tax", "why not"), DatasetNeed("housing", " ", {"rent": ""})]
    with pytest.raises(InvalidInput) as refused:
        sqlite_cast.act(
            requests.create_request,
            by="rita",
            project="dfh-pilot",
            title="t",
            spec_text=SPEC,
            datasets=needs,
        )
    message = str(refused.value)
    assert "unknown dataset 'tax'" in message
    assert "dataset housing: a justification is required" in message
    assert "variable housing.rent: a justification is required" in message


def test_a_non_member_cannot_request_and_the_refusal_is_audited(cast: Platform) -> None:
    with pytest.raises(PermissionDenied, match="ron is not a member of project dfh-pilot"):
        cast.act(
            requests.create_request,
            by="ron",
            project="dfh-pilot",
            title="t",
            spec_text=SPEC,
            datasets=[HOUSING],
        )
    assert refusals(cast, "request.create.refused") == ["ron"]


def test_build_is_allowed_only_once_approved_and_moves_to_released(cast: Platform) -> None:
    request_id = submitted_request(cast, [HOUSING])
    assert not cast.read(releases.may_build, request_id, "ada")
    cast.act(approvals.approve, request_id, "sam", "fine")
    assert cast.read(releases.may_build, request_id, "ada")
    assert not cast.read(releases.may_build, request_id, "rita")
    release = cast.act(
        releases.record_release,
        request_id,
        "projects/dfh-pilot/releases/r1",
        "a" * 64,
        actor="ada",
        spec_sha256=SPEC_SHA256,
        release_id="r1",
    )
    assert release.release_id == "r1"
    assert status_of(cast, request_id) == "released"
    assert cast.read(releases.may_access, "rita", "r1")
    assert not cast.read(releases.may_access, "ron", "r1")
    assert [r.release_id for r in cast.read(releases.visible_releases, "rita")] == ["r1"]
    with database.session_scope(cast.engine) as session:
        built = list(audit.entries(session, action_prefix="release.built"))
        assert [e.object_id for e in built] == ["r1"]
        assert audit.verify(session, cast.keystore).ok


def test_a_steward_who_made_the_request_cannot_approve_it(cast: Platform) -> None:
    cast.act(
        people.create_person,
        by="ada",
        username="stella",
        display_name="Stella",
        roles=["researcher", "data_steward"],
        accreditation_expires=TODAY + timedelta(days=9),
    )
    cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="stella")
    cast.act(projects.approve_member, by="sam", slug="dfh-pilot", username="stella")
    request = cast.act(
        requests.create_request,
        by="stella",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=[HOUSING],
    )
    cast.act(requests.submit_request, by="stella", request_id=request.id, reads=READS)
    with pytest.raises(PermissionDenied, match="stella made request .* may not decide on it"):
        cast.act(approvals.approve, request.id, "stella", "looks good to me")
    assert refusals(cast, "request.decide.refused") == ["stella"]
    assert status_of(cast, request.id) == "submitted"
