"""A request's life as a researcher sees it: draft, revise, submit, withdraw."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from nightingale.governance import approvals, audit, projects, requests
from nightingale.governance.errors import InvalidInput, NotFound, PermissionDenied
from nightingale.governance.requests import DatasetNeed
from tests.governance.conftest import READS, SPEC, Platform

HOUSING = DatasetNeed("housing", "exposure", {"tenancy_start": "index date"})


def draft(platform: Platform) -> int:
    return platform.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=[HOUSING],
    ).id


def test_a_draft_records_the_spec_hash_datasets_and_variables(sqlite_cast: Platform) -> None:
    request_id = draft(sqlite_cast)
    request = sqlite_cast.read(requests.get_request, request_id)
    assert (request.status, request.round) == ("draft", 0)
    assert [(v.dataset_name, v.variable) for v in request.variable_rows] == [
        ("housing", "tenancy_start")
    ]
    assert request.spec_sha256 == hashlib.sha256(SPEC.encode()).hexdigest()


def test_changes_are_revised_and_resubmitted(sqlite_cast: Platform) -> None:
    request_id = draft(sqlite_cast)
    sqlite_cast.act(requests.submit_request, by="rita", request_id=request_id, reads=READS)
    sqlite_cast.act(approvals.request_changes, request_id, "sam", "say why you need tenancy_end")
    revised = [
        DatasetNeed(
            "housing", "exposure", {"tenancy_start": "index date", "tenancy_end": "censoring"}
        )
    ]
    sqlite_cast.act(
        requests.revise_request,
        by="rita",
        request_id=request_id,
        spec_text=SPEC + "# v2\n",
        datasets=revised,
    )
    request = sqlite_cast.act(
        requests.submit_request, by="rita", request_id=request_id, reads=READS
    )
    assert (request.status, request.round) == ("submitted", 2)
    assert len(request.variable_rows) == 2


def test_a_submitted_request_cannot_be_revised(sqlite_cast: Platform) -> None:
    request_id = draft(sqlite_cast)
    sqlite_cast.act(requests.submit_request, by="rita", request_id=request_id, reads=READS)
    with pytest.raises(
        PermissionDenied, match="is submitted; this needs it to be changes_requested or draft"
    ):
        sqlite_cast.act(
            requests.revise_request,
            by="rita",
            request_id=request_id,
            spec_text=SPEC,
            datasets=[HOUSING],
        )


def test_a_member_withdraws_and_nothing_more_can_happen(sqlite_cast: Platform) -> None:
    request_id = draft(sqlite_cast)
    sqlite_cast.act(
        requests.withdraw_request, by="rita", request_id=request_id, reason="no longer needed"
    )
    with pytest.raises(PermissionDenied, match="is withdrawn"):
        sqlite_cast.act(requests.submit_request, by="rita", request_id=request_id, reads=READS)


def test_requests_need_an_approved_or_active_project(sqlite_cast: Platform) -> None:
    sqlite_cast.act(projects.close_project, by="ada", slug="dfh-pilot", reason="ended early")
    with pytest.raises(PermissionDenied, match="project dfh-pilot is closed"):
        draft(sqlite_cast)


def test_an_unknown_actor_is_refused_and_audited(sqlite_cast: Platform) -> None:
    with pytest.raises(NotFound, match="no person called 'mallory'"):
        sqlite_cast.act(
            requests.create_request,
            by="mallory",
            project="dfh-pilot",
            title="t",
            spec_text=SPEC,
            datasets=[HOUSING],
        )
    refused = sqlite_cast.read(
        lambda s: [e.actor for e in audit.entries(s, action_prefix="request.create.refused")]
    )
    assert refused == ["mallory"]


def test_a_project_needs_its_dates_in_order(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="end date 2027-01-01 is not after start 2027-01-02"):
        sqlite_cast.act(
            projects.create_project,
            by="rita",
            slug="backwards",
            title="t",
            purpose="p",
            public_benefit="b",
            lawful_basis="l",
            ethics_reference="e",
            pi="rita",
            start_date=date(2027, 1, 2),
            end_date=date(2027, 1, 1),
        )


def test_an_active_project_cannot_be_activated_again(sqlite_cast: Platform) -> None:
    with pytest.raises(
        PermissionDenied, match="project dfh-pilot is active; this needs it to be approved"
    ):
        sqlite_cast.act(projects.activate_project, by="ada", slug="dfh-pilot")
