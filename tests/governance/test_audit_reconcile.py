"""Governance rows changed outside the application disagree with the audit log, by name.

Each change is made the way an operator with database access would make it: raw SQL,
no governance call, so no audit entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from nightingale.governance import audit_reconcile, requests
from nightingale.governance.requests import DatasetNeed
from nightingale.platform import database
from tests.governance.conftest import READS, SPEC, Platform
from tests.governance.test_outputs import submit, table_file


def _differences(platform: Platform) -> list[str]:
    with database.session_scope(platform.engine) as session:
        return [d.describe() for d in audit_reconcile.differences(session)]


def _raw(platform: Platform, *statements: str) -> None:
    with platform.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _submitted_request(platform: Platform) -> int:
    request = platform.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=[DatasetNeed("housing", "exposure", {"tenancy_start": "index date"})],
    )
    platform.act(requests.submit_request, by="rita", request_id=request.id, reads=READS)
    return int(request.id)


def test_tables_changed_only_by_the_application_agree_with_the_log(
    cast: Platform, tmp_path: Path
) -> None:
    _submitted_request(cast)
    submit(cast, tmp_path, [table_file(tmp_path, safe=True)])
    assert _differences(cast) == []


def test_a_role_granted_with_raw_sql_is_named(cast: Platform) -> None:
    _raw(
        cast,
        "INSERT INTO gov_person_roles (person_id, role) "
        "SELECT id, 'data_steward' FROM gov_people WHERE username = 'rita'",
    )
    assert _differences(cast) == [
        "person rita: roles is [data_steward, researcher] in the table but [researcher] "
        "by the audit log"
    ]


def test_a_request_approved_with_raw_sql_is_named(cast: Platform) -> None:
    request_id = _submitted_request(cast)
    _raw(cast, f"UPDATE gov_requests SET status = 'approved' WHERE id = {request_id}")
    assert _differences(cast) == [
        f"request {request_id}: status is approved in the table but submitted by the audit log"
    ]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "INSERT INTO gov_project_members (project_id, person_id) SELECT p.id, m.id "
            "FROM gov_projects p, gov_people m WHERE p.slug = 'dfh-pilot' AND m.username = 'ron'",
            "project dfh-pilot: members is [rita, ron] in the table but [rita] by the audit log",
        ),
        (
            "UPDATE gov_projects SET end_date = '2099-12-31' WHERE slug = 'dfh-pilot'",
            "project dfh-pilot: end_date is 2099-12-31 in the table but ",
        ),
        (
            "UPDATE gov_datasets SET classification = 'personal' WHERE name = 'health'",
            "dataset health: classification is personal in the table but special_category",
        ),
        (
            "UPDATE gov_people SET active = false WHERE username = 'sam'",
            "person sam: active is False in the table but True by the audit log",
        ),
        (
            "UPDATE gov_people SET accreditation_expires = '2099-01-01' WHERE username = 'rita'",
            "person rita: accreditation is 2099-01-01 in the table but ",
        ),
        (
            "INSERT INTO gov_people (username, display_name, active, created_at) "
            "VALUES ('mallory', 'M', true, CURRENT_TIMESTAMP)",
            "person mallory: exists is present in the table but absent by the audit log",
        ),
    ],
)
def test_other_changes_made_outside_the_application_are_named(
    sqlite_cast: Platform, statement: str, expected: str
) -> None:
    _raw(sqlite_cast, statement)
    found = _differences(sqlite_cast)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_an_output_status_changed_with_raw_sql_is_named(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    _raw(sqlite_cast, f"UPDATE gov_output_requests SET status = 'approved' WHERE id = {output_id}")
    assert _differences(sqlite_cast) == [
        f"output {output_id}: status is approved in the table but submitted by the audit log"
    ]


def _agreement_and_rule(platform: Platform) -> None:
    from datetime import date, timedelta

    from nightingale.governance import agreements, retention

    platform.act(
        agreements.add_agreement, by="sam", reference="DSA-1", provider="health",
        tables=["*"], purposes=["research"], legal_basis="Art. 9(2)(j)",
        starts_on=date.today(), expires_on=date.today() + timedelta(days=30),
    )  # fmt: skip
    platform.act(retention.set_rule, by="sam", scope="provider", name="health", keep_days=30)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "UPDATE gov_agreements SET expires_on = '2099-12-31' WHERE reference = 'DSA-1'",
            "agreement DSA-1: expires_on is 2099-12-31 in the table but ",
        ),
        (
            "UPDATE gov_retention_rules SET keep_days = 99999 WHERE name = 'health'",
            "retention provider/health: keep_days is 99999 in the table but 30 by the audit log",
        ),
    ],
)
def test_an_agreement_or_retention_rule_changed_with_raw_sql_is_named(
    sqlite_cast: Platform, statement: str, expected: str
) -> None:
    _agreement_and_rule(sqlite_cast)
    assert _differences(sqlite_cast) == []
    _raw(sqlite_cast, statement)
    found = _differences(sqlite_cast)
    assert len(found) == 1 and found[0].startswith(expected), found
