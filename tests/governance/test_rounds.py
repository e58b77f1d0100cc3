"""A submission round binds what the stewards decide and what the builder may build.

Attacks by insiders, each against governance's own API or its database: a researcher
whose spec reads health data under a housing-only justification, an operator who edits a
request's spec in the database after it was approved, and a reclassification of health
data between submission and approval. None of them may reduce the approvals needed or
get an unapproved spec built.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nightingale.governance import approvals, audit, datasets, releases, requests, rounds
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.requests import DatasetNeed
from nightingale.platform import database
from tests.governance.conftest import READS, SPEC, SPEC_SHA256, Platform

HOUSING_ONLY = [DatasetNeed("housing", "tenancies define the cohort")]
READS_HEALTH = "name: dfh-pilot\npopulation:\n  source: health.gp_registrations\n"
EDITED = SPEC + "baseline:\n  - {name: ltc, table: health.gp_registrations, column: ltc_count}\n"


def _submitted(platform: Platform, spec: str, reads: tuple[str, ...]) -> int:
    request = platform.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="cohort",
        spec_text=spec,
        datasets=HOUSING_ONLY,
    )
    platform.act(requests.submit_request, by="rita", request_id=request.id, reads=reads)
    return request.id


def _status(platform: Platform, request_id: int) -> str:
    return platform.read(requests.get_request, request_id).status


def _as_operator(platform: Platform, statement: str, **values: object) -> None:
    """Change a row behind the application's back, as someone with database access."""
    with platform.engine.begin() as connection:
        connection.execute(text(statement), values)


def _require_build(platform: Platform, request_id: int, reads: tuple[str, ...]) -> None:
    with database.session_scope(platform.engine) as session:
        request = requests.get_request(session, request_id)
        releases.require_build(
            session, platform.keystore, request, "ada", spec_text=request.spec_text, reads=reads
        )


def test_a_spec_reading_health_under_a_housing_justification_needs_two_approvals(
    cast: Platform,
) -> None:
    request_id = _submitted(cast, READS_HEALTH, ("health",))
    first = cast.act(approvals.approve, request_id, "sam", "housing looks fine")
    assert (first.status, first.approvals, first.needed) == ("submitted", 1, 2)
    with pytest.raises(PermissionDenied, match="is submitted; this needs it to be approved"):
        _require_build(cast, request_id, ("health",))
    second = cast.act(approvals.approve, request_id, "sasha", "health use justified")
    assert second.status == "approved"


def test_the_round_holds_every_dataset_read_or_named_and_which_are_unjustified(
    sqlite_cast: Platform,
) -> None:
    request_id = _submitted(sqlite_cast, READS_HEALTH, ("health",))
    with database.session_scope(sqlite_cast.engine) as session:
        submitted = rounds.current_round(session, requests.get_request(session, request_id))
        assert submitted is not None
        assert [
            (r.dataset_name, r.classification, r.justification, r.read_by_spec)
            for r in submitted.dataset_rows
        ] == [
            ("health", "special_category", None, True),
            ("housing", "personal", "tenancies define the cohort", False),
        ]
        entry = list(audit.entries(session, action_prefix="request.submitted"))[-1]
        assert audit.details_of(entry)["unjustified"] == ["health"]


def test_a_spec_reading_a_dataset_governance_does_not_know_is_refused(
    sqlite_cast: Platform,
) -> None:
    request = sqlite_cast.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=HOUSING_ONLY,
    )
    with pytest.raises(InvalidInput, match="reads the dataset 'tax', which is not registered"):
        sqlite_cast.act(
            requests.submit_request, by="rita", request_id=request.id, reads=("housing", "tax")
        )
    assert _status(sqlite_cast, request.id) == "draft"


def test_an_approval_of_a_spec_edited_after_submission_is_refused(cast: Platform) -> None:
    request_id = _submitted(cast, SPEC, READS)
    _as_operator(
        cast, "UPDATE gov_requests SET spec_text = :t WHERE id = :i", t=EDITED, i=request_id
    )
    with pytest.raises(PermissionDenied, match="is not the spec submitted in round 1"):
        cast.act(approvals.approve, request_id, "sam", "fine")
    assert _status(cast, request_id) == "submitted"
    refused = cast.read(lambda s: list(audit.entries(s, action_prefix="request.decide.refused")))
    assert [e.actor for e in refused] == ["sam"]


def test_a_spec_edited_after_approval_is_not_built(cast: Platform) -> None:
    request_id = _submitted(cast, SPEC, READS)
    cast.act(approvals.approve, request_id, "sam", "fine")
    _require_build(cast, request_id, READS)  # the approved spec may be built
    _as_operator(
        cast, "UPDATE gov_requests SET spec_text = :t WHERE id = :i", t=EDITED, i=request_id
    )
    with pytest.raises(PermissionDenied, match="changed after submission"):
        _require_build(cast, request_id, ("health", "housing"))
    refused = cast.read(lambda s: list(audit.entries(s, action_prefix="request.build.refused")))
    assert "changed after submission" in audit.details_of(refused[-1])["reason"]


def test_editing_the_rounds_hash_too_is_caught_by_the_audit_log(sqlite_cast: Platform) -> None:
    request_id = _submitted(sqlite_cast, SPEC, READS)
    sqlite_cast.act(approvals.approve, request_id, "sam", "fine")
    digest = rounds.spec_digest(EDITED)
    _as_operator(sqlite_cast, "UPDATE gov_requests SET spec_text = :t", t=EDITED)
    _as_operator(sqlite_cast, "UPDATE gov_request_rounds SET spec_sha256 = :h", h=digest)
    _as_operator(sqlite_cast, "UPDATE gov_round_datasets SET dataset_name = 'health'")
    with pytest.raises(PermissionDenied, match="not the spec the audit log recorded for round 1"):
        _require_build(sqlite_cast, request_id, ("health",))


def test_a_build_reading_a_dataset_the_round_did_not_hold_is_refused(cast: Platform) -> None:
    request_id = _submitted(cast, READS_HEALTH, ("housing",))  # reads under-reported
    cast.act(approvals.approve, request_id, "sam", "housing only")
    assert _status(cast, request_id) == "approved"
    with pytest.raises(PermissionDenied, match="reads health, which round 1 did not ask for"):
        _require_build(cast, request_id, ("health",))


def test_a_release_of_another_spec_is_not_recorded(sqlite_cast: Platform) -> None:
    request_id = _submitted(sqlite_cast, SPEC, READS)
    sqlite_cast.act(approvals.approve, request_id, "sam", "fine")
    location = "projects/dfh-pilot/releases/r1"
    with pytest.raises(PermissionDenied, match="not the spec approved in round 1"):
        sqlite_cast.act(
            releases.record_release,
            request_id,
            location,
            "a" * 64,
            actor="ada",
            spec_sha256=rounds.spec_digest(EDITED),
        )
    release = sqlite_cast.act(
        releases.record_release,
        request_id,
        location,
        "a" * 64,
        actor="ada",
        spec_sha256=SPEC_SHA256,
    )
    assert release.request_id == request_id


def test_a_reclassification_between_submission_and_approval_needs_the_same_approvals(
    cast: Platform,
) -> None:
    request_id = _submitted(cast, READS_HEALTH, ("health",))
    _as_operator(cast, "UPDATE gov_datasets SET classification = 'personal' WHERE name = 'health'")
    first = cast.act(approvals.approve, request_id, "sam", "health is ordinary now?")
    assert (first.status, first.needed) == ("submitted", 2)


def test_a_confirmed_downgrade_after_submission_needs_the_same_approvals(
    sqlite_cast: Platform,
) -> None:
    request_id = _submitted(sqlite_cast, READS_HEALTH, ("health",))
    proposal = sqlite_cast.act(
        datasets.propose_downgrade,
        by="sam",
        name="health",
        classification="personal",
        reason="aggregated extract",
    )
    sqlite_cast.act(datasets.confirm_downgrade, by="ada", downgrade_id=proposal.id)
    first = sqlite_cast.act(approvals.approve, request_id, "sasha", "ok")
    assert (first.status, first.needed) == ("submitted", 2)


def test_a_raised_classification_raises_the_approvals_of_a_round_already_submitted(
    sqlite_cast: Platform,
) -> None:
    request_id = _submitted(sqlite_cast, SPEC, READS)
    sqlite_cast.act(
        datasets.register_dataset,
        by="sam",
        name="housing",
        classification="special_category",
        description="now with health-related repairs",
    )
    first = sqlite_cast.act(approvals.approve, request_id, "sasha", "ok")
    assert (first.status, first.needed) == ("submitted", 2)
