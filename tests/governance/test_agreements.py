"""Data sharing agreements: recorded and ended by stewards and administrators, audited, and
current only between their start and expiry unless ended early; coverage is per table and
per purpose. Ingest needs a linkage officer and an agreement covering each table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from nightingale.governance import agreements, audit, people
from nightingale.governance.errors import InvalidInput, NotFound, PermissionDenied
from nightingale.governance.intake import require_ingest, require_link
from nightingale.governance.models import Agreement, Project
from nightingale.platform.keystore import KeyStore
from tests.governance.conftest import Platform

TODAY = date.today()


def _add(session: Session, keystore: KeyStore, by: str = "sam", **overrides: Any) -> Agreement:
    values: dict[str, Any] = {
        "reference": "DSA-1",
        "provider": "health",
        "tables": ["admissions", "gp_registrations"],
        "purposes": ["research"],
        "legal_basis": "Art. 6(1)(e); Art. 9(2)(j)",
        "starts_on": TODAY - timedelta(days=1),
        "expires_on": TODAY + timedelta(days=30),
    }
    values.update(overrides)
    return agreements.add_agreement(session, keystore, by=by, **values)


def _entries(platform: Platform, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    def query(session: Session) -> list[tuple[str, str, dict[str, Any]]]:
        found = audit.entries(session, action_prefix=prefix)
        return [(e.actor, e.object_id, audit.details_of(e)) for e in found]

    return platform.read(query)


def test_a_steward_records_an_agreement_and_it_is_audited(sqlite_cast: Platform) -> None:
    tables = sqlite_cast.act(lambda s, k: _add(s, k).table_names)
    assert tables == ("admissions", "gp_registrations")
    [(actor, reference, details)] = _entries(sqlite_cast, "agreement.recorded")
    assert (actor, reference) == ("sam", "DSA-1")
    assert details["tables"] == ["admissions", "gp_registrations"]
    assert details["purposes"] == ["research"]


@pytest.mark.parametrize("who", ["rita", "otto"])
def test_only_stewards_and_administrators_record_agreements(
    sqlite_cast: Platform, who: str
) -> None:
    with pytest.raises(PermissionDenied, match="agreement.manage needs the role"):
        sqlite_cast.act(_add, by=who)
    assert sqlite_cast.read(agreements.list_agreements) == []
    assert _entries(sqlite_cast, "agreement.manage.refused")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"legal_basis": " "}, "legal basis must not be empty"),
        ({"expires_on": TODAY - timedelta(days=5)}, "before it starts"),
        ({"tables": []}, "at least one table"),
        ({"purposes": ["Research!"]}, "use lower-case names"),
        ({"purposes": ["reserch"]}, "purpose reserch is not one of research, service_evaluation"),
        ({"provider": "nowhere"}, "no dataset called 'nowhere'"),
    ],
)
def test_a_malformed_agreement_is_refused_with_the_reason(
    sqlite_cast: Platform, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises((InvalidInput, NotFound), match=message):
        sqlite_cast.act(_add, **overrides)


def test_an_ended_or_expired_agreement_is_not_current(sqlite_cast: Platform) -> None:
    sqlite_cast.act(_add)

    def current(session: Session, day: date) -> bool:
        return agreements.is_current(agreements.get_agreement(session, "DSA-1"), day)

    assert sqlite_cast.read(current, TODAY)
    assert not sqlite_cast.read(current, TODAY + timedelta(days=31))
    assert not sqlite_cast.read(current, TODAY - timedelta(days=2))
    sqlite_cast.act(
        agreements.end_agreement, by="ada", reference="DSA-1", reason="provider withdrew"
    )
    assert not sqlite_cast.read(current, TODAY)
    uncovered = sqlite_cast.read(agreements.uncovered_tables, "health", ["admissions"])
    assert uncovered == ("admissions",)
    with pytest.raises(InvalidInput, match="already ended"):
        sqlite_cast.act(agreements.end_agreement, by="ada", reference="DSA-1", reason="again")
    [(_, _, ended)] = _entries(sqlite_cast, "agreement.ended")
    assert ended == {"provider": "health", "reason": "provider withdrew"}


def test_coverage_is_per_table_and_per_purpose(sqlite_cast: Platform) -> None:
    sqlite_cast.act(_add)
    sqlite_cast.act(
        _add, reference="DSA-2", provider="housing", tables=["*"], purposes=["planning"]
    )
    project = Project(slug="p-study", purpose_code="research")
    draws = ["health.admissions", "health.eq5d", "housing.tenancies"]
    problems = sqlite_cast.read(agreements.coverage_problems, project, draws)
    assert [p.split(":")[0] for p in problems] == ["health.eq5d", "housing.tenancies"]
    assert "for the purpose 'research' of project p-study" in problems[1]
    project.purpose_code = "planning"
    assert sqlite_cast.read(agreements.coverage_problems, project, ["housing.tenancies"]) == []


def _officer(session: Session, keystore: KeyStore) -> None:
    people.create_person(
        session, keystore, by="ada", username="lina", display_name="Lina",
        roles=["linkage_officer"],
    )  # fmt: skip


def test_ingest_needs_a_linkage_officer_and_an_agreement_covering_each_table(
    sqlite_cast: Platform,
) -> None:
    sqlite_cast.act(_officer)
    sqlite_cast.act(_add, tables=["gp_registrations"])
    sqlite_cast.act(require_ingest, "lina", "health", ["gp_registrations"])
    with pytest.raises(PermissionDenied, match="with health covers admissions"):
        sqlite_cast.act(require_ingest, "lina", "health", ["gp_registrations", "admissions"])
    with pytest.raises(PermissionDenied, match="needs the role linkage_officer"):
        sqlite_cast.act(require_ingest, "ada", "health", ["gp_registrations"])
    with pytest.raises(PermissionDenied, match="with housing covers tenancies"):
        sqlite_cast.act(require_ingest, "lina", "housing", ["tenancies"])
    refused = _entries(sqlite_cast, "dataset.ingest.refused")
    assert [(actor, provider) for actor, provider, _ in refused] == [
        ("lina", "health"),
        ("ada", "health"),
        ("lina", "housing"),
    ]
    assert "nightingale agreements add health" in refused[0][2]["reason"]


def test_linking_is_for_linkage_officers_and_administrators(sqlite_cast: Platform) -> None:
    sqlite_cast.act(_officer)
    sqlite_cast.act(require_link, "lina")
    sqlite_cast.act(require_link, "ada")
    with pytest.raises(PermissionDenied, match="linkage.link needs the role"):
        sqlite_cast.act(require_link, "sam")


@settings(deadline=None)  # the first example configures the ORM's mappers
@given(
    starts=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    length=st.integers(0, 2000),
    day=st.dates(date(2019, 1, 1), date(2036, 12, 31)),
    ended=st.none() | st.dates(date(2019, 1, 1), date(2036, 12, 31)),
)
def test_an_agreement_is_current_exactly_from_start_to_expiry_until_ended(
    starts: date, length: int, day: date, ended: date | None
) -> None:
    agreement = Agreement(
        starts_on=starts,
        expires_on=starts + timedelta(days=length),
        ended_at=None
        if ended is None
        else datetime(ended.year, ended.month, ended.day, tzinfo=UTC),
    )
    running = starts <= day <= starts + timedelta(days=length)
    assert agreements.is_current(agreement, day) is (running and (ended is None or ended > day))
