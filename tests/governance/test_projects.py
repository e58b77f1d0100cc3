"""Projects: who may lead and join one (the policy's ``project.join``), refusals audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from nightingale.governance import audit, audit_reconcile, people, projects
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.facts import project_facts
from nightingale.governance.models import ProjectMember
from tests.governance.conftest import TODAY, Platform


def _refusals(platform: Platform, action: str) -> list[str]:
    return platform.read(
        lambda s: [
            str(audit.details_of(e)["reason"])
            for e in audit.entries(s, action_prefix=f"{action}.refused")
        ]
    )


def _members(platform: Platform) -> tuple[frozenset[str], frozenset[str]]:
    """dfh-pilot's members in force and those waiting for a steward."""
    return platform.read(
        lambda s: (
            projects.get_project(s, "dfh-pilot").member_usernames,
            projects.get_project(s, "dfh-pilot").pending_usernames,
        )
    )


def test_only_researchers_and_evaluators_join_a_project(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="sam cannot be a project member: project.join needs"):
        sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="sam")
    assert "sam" not in sqlite_cast.read(
        lambda s: projects.get_project(s, "dfh-pilot").member_usernames
    )
    assert _refusals(sqlite_cast, "project.member_add") == [
        "sam cannot be a project member: project.join needs the role evaluator or researcher; "
        "sam has data_steward"
    ]
    sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")
    sqlite_cast.act(projects.approve_member, by="sam", slug="dfh-pilot", username="ron")
    assert "ron" in _members(sqlite_cast)[0]


def test_a_member_the_pi_adds_to_an_active_project_waits_for_a_steward(
    sqlite_cast: Platform,
) -> None:
    sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")
    members, pending = _members(sqlite_cast)
    assert "ron" not in members and pending == {"ron"}
    # The pending member has no access: the policy's facts do not count them.
    facts = sqlite_cast.read(lambda s: project_facts(projects.get_project(s, "dfh-pilot")))
    assert "ron" not in facts.members and facts.pending == {"ron"}
    # Not the PI, not ron himself, not a checker: a steward off the project approves.
    for who, why in (
        ("rita", "project.member_approve needs the role data_steward"),
        ("otto", "project.member_approve needs the role data_steward"),
    ):
        with pytest.raises(PermissionDenied, match=why):
            sqlite_cast.act(projects.approve_member, by=who, slug="dfh-pilot", username="ron")
    sqlite_cast.act(projects.approve_member, by="sam", slug="dfh-pilot", username="ron")
    members, pending = _members(sqlite_cast)
    assert "ron" in members and pending == frozenset()
    with pytest.raises(PermissionDenied, match="membership of dfh-pilot is active"):
        sqlite_cast.act(projects.approve_member, by="sasha", slug="dfh-pilot", username="ron")
    logged = sqlite_cast.read(
        lambda s: [
            (e.action, audit.details_of(e).get("member"), audit.details_of(e).get("status"))
            for e in audit.entries(s, action_prefix="project.member")
            if not e.action.endswith(".refused") and audit.details_of(e).get("member") == "ron"
        ]
    )
    assert logged == [
        ("project.member_added", "ron", "pending"),
        ("project.member_approved", "ron", None),
    ]
    assert sqlite_cast.read(audit_reconcile.differences) == []


def test_a_draft_projects_members_join_at_once_and_the_steward_sees_them_at_approval(
    sqlite_cast: Platform,
) -> None:
    _create(sqlite_cast, "second-study")
    sqlite_cast.act(projects.add_member, by="rita", slug="second-study", username="ron")
    assert "ron" in sqlite_cast.read(
        lambda s: projects.get_project(s, "second-study").member_usernames
    )


def test_a_pending_membership_changed_behind_the_applications_back_is_reported(
    sqlite_cast: Platform,
) -> None:
    sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")

    def promote(session: Session) -> None:
        session.execute(update(ProjectMember).values(status="active"))

    sqlite_cast.read(promote)
    found = [d.describe() for d in sqlite_cast.read(audit_reconcile.differences)]
    assert any("project dfh-pilot: members" in line and "ron" in line for line in found), found


def test_a_steward_refuses_a_pending_member_with_a_reason_and_it_is_audited(
    sqlite_cast: Platform,
) -> None:
    sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")
    with pytest.raises(InvalidInput, match="needs a reason"):
        sqlite_cast.act(
            projects.refuse_member, by="sam", slug="dfh-pilot", username="ron", reason="  "
        )
    for who, why in (
        ("rita", "project.member_refuse needs the role data_steward"),
        ("ron", "project.member_refuse needs the role data_steward"),
    ):
        with pytest.raises(PermissionDenied, match=why):
            sqlite_cast.act(
                projects.refuse_member, by=who, slug="dfh-pilot", username="ron", reason="no"
            )
    assert _members(sqlite_cast)[1] == {"ron"}  # nothing changed yet
    sqlite_cast.act(
        projects.refuse_member,
        by="sam",
        slug="dfh-pilot",
        username="ron",
        reason="not named in the ethics approval",
    )
    members, pending = _members(sqlite_cast)
    assert "ron" not in members and pending == frozenset()
    # Refused is not a membership: neither decision can follow.
    with pytest.raises(PermissionDenied, match="membership of dfh-pilot is none"):
        sqlite_cast.act(projects.approve_member, by="sasha", slug="dfh-pilot", username="ron")
    logged = sqlite_cast.read(
        lambda s: [
            (e.action, audit.details_of(e).get("reason"))
            for e in audit.entries(s, action_prefix="project.member")
            if not e.action.endswith(".refused") and audit.details_of(e).get("member") == "ron"
        ]
    )
    assert logged == [
        ("project.member_added", None),
        ("project.member_refused", "not named in the ethics approval"),
    ]
    assert sqlite_cast.read(audit_reconcile.differences) == []
    # The PI may ask again: a new pending membership, for a steward again.
    sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")
    assert _members(sqlite_cast)[1] == {"ron"}
    assert sqlite_cast.read(lambda s: [p.slug for p, _w in projects.pending_members(s)]) == [
        "dfh-pilot"
    ]


def test_a_deactivated_researcher_cannot_join(sqlite_cast: Platform) -> None:
    sqlite_cast.act(people.deactivate, by="ada", username="ron")
    with pytest.raises(InvalidInput, match="ron's account is deactivated"):
        sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")


def test_only_a_researcher_leads_a_project(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="sam cannot be the PI: project.join needs"):
        _create(sqlite_cast, "led-by-sam", by="ada", pi="sam")
    assert sqlite_cast.read(lambda s: [p.slug for p in projects.list_projects(s)]) == ["dfh-pilot"]
    assert len(_refusals(sqlite_cast, "project.create")) == 1


def test_a_second_project_with_the_same_id_is_an_audited_refusal(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="a project called 'dfh-pilot' already exists"):
        _create(sqlite_cast, "dfh-pilot")
    assert _refusals(sqlite_cast, "project.create") == [
        "a project called 'dfh-pilot' already exists"
    ]


def _create(
    platform: Platform,
    slug: str,
    purpose_code: str = "research",
    *,
    by: str = "rita",
    pi: str = "rita",
    purpose: str = "p",
) -> None:
    """Create project ``slug`` (a month long from today) as ``by``, led by ``pi``."""
    platform.act(
        projects.create_project,
        by=by,
        slug=slug,
        title="t",
        purpose=purpose,
        public_benefit="b",
        lawful_basis="l",
        ethics_reference="e",
        pi=pi,
        start_date=TODAY,
        end_date=TODAY + timedelta(days=30),
        purpose_code=purpose_code,
    )


def test_a_project_declares_one_of_the_purpose_codes(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="purpose code 'marketing' is not one of research, "):
        _create(sqlite_cast, "sales-study", "marketing", purpose="Plan next year's services.")
    _create(sqlite_cast, "services-plan", "planning", purpose="Plan next year's services.")
    code = sqlite_cast.read(lambda s: projects.get_project(s, "services-plan").purpose_code)
    assert code == "planning"
    created = sqlite_cast.read(
        lambda s: [
            audit.details_of(e)["purpose_code"]
            for e in audit.entries(s, action_prefix="project.created")
            if e.object_id == "services-plan"
        ]
    )
    assert created == ["planning"]


def test_agreements_are_checked_against_the_projects_purpose_code(sqlite_cast: Platform) -> None:
    """An agreement for research does not cover a planning project, and one for planning
    does (agreements keep naming their purposes as before)."""
    from nightingale.governance import agreements

    _create(sqlite_cast, "services-plan", "planning", purpose="Plan next year's services.")
    for reference, purpose, table in (
        ("DSA-R", "research", "admissions"),
        ("DSA-P", "planning", "eq5d"),
    ):
        sqlite_cast.act(
            agreements.add_agreement,
            by="sam",
            reference=reference,
            provider="health",
            tables=[table],
            purposes=[purpose],
            legal_basis="Art. 6(1)(e)",
            starts_on=TODAY - timedelta(days=1),
            expires_on=TODAY + timedelta(days=30),
        )
    problems = sqlite_cast.read(
        lambda s: agreements.coverage_problems(
            s,
            projects.get_project(s, "services-plan"),
            ["health.admissions", "health.eq5d"],
            on=TODAY,
        )
    )
    assert [p.split(":")[0] for p in problems] == ["health.admissions"]
    assert "for the purpose 'planning' of project services-plan" in problems[0]
