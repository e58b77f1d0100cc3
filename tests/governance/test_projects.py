"""Projects: who may lead and join one (the policy's ``project.join``), refusals audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nightingale.governance import audit, people, projects
from nightingale.governance.errors import InvalidInput
from tests.governance.conftest import TODAY, Platform


def _refusals(platform: Platform, action: str) -> list[str]:
    return platform.read(
        lambda s: [
            str(audit.details_of(e)["reason"])
            for e in audit.entries(s, action_prefix=f"{action}.refused")
        ]
    )


def test_only_researchers_join_a_project(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="sam cannot be a project member: project.join needs"):
        sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="sam")
    assert "sam" not in sqlite_cast.read(
        lambda s: projects.get_project(s, "dfh-pilot").member_usernames
    )
    assert _refusals(sqlite_cast, "project.edit") == [
        "sam cannot be a project member: project.join needs the role researcher; "
        "sam has data_steward"
    ]
    sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")
    assert "ron" in sqlite_cast.read(
        lambda s: projects.get_project(s, "dfh-pilot").member_usernames
    )


def test_a_deactivated_researcher_cannot_join(sqlite_cast: Platform) -> None:
    sqlite_cast.act(people.deactivate, by="ada", username="ron")
    with pytest.raises(InvalidInput, match="ron's account is deactivated"):
        sqlite_cast.act(projects.add_member, by="rita", slug="dfh-pilot", username="ron")


def test_only_a_researcher_leads_a_project(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="sam cannot be the PI: project.join needs"):
        sqlite_cast.act(
            projects.create_project,
            by="ada",
            slug="led-by-sam",
            title="t",
            purpose="p",
            public_benefit="b",
            lawful_basis="l",
            ethics_reference="e",
            pi="sam",
            start_date=TODAY,
            end_date=TODAY + timedelta(days=30),
        )
    assert sqlite_cast.read(lambda s: [p.slug for p in projects.list_projects(s)]) == ["dfh-pilot"]
    assert len(_refusals(sqlite_cast, "project.create")) == 1


def test_a_second_project_with_the_same_id_is_an_audited_refusal(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="a project called 'dfh-pilot' already exists"):
        sqlite_cast.act(
            projects.create_project,
            by="rita",
            slug="dfh-pilot",
            title="t",
            purpose="p",
            public_benefit="b",
            lawful_basis="l",
            ethics_reference="e",
            pi="rita",
            start_date=TODAY,
            end_date=TODAY + timedelta(days=30),
        )
    assert _refusals(sqlite_cast, "project.create") == [
        "a project called 'dfh-pilot' already exists"
    ]
