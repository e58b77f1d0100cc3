"""Lodged plans: the PI fixes the plan with governance; a change is an amendment, in view.

Real database (SQLite and PostgreSQL for the append-only table), real audit chain.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nightingale.governance import audit, plans
from nightingale.governance.audit_reconcile import differences
from nightingale.governance.errors import InvalidInput, InvalidTransition, PermissionDenied
from nightingale.platform.storage import sha256_bytes
from tests.governance.conftest import Platform

PLAN = "plan: dfh-pilot\nversion: '1.0.0'\nseed: 1\n"
CHANGED = "plan: dfh-pilot\nversion: '1.0.1'\nseed: 2\n"


def lodge(platform: Platform, body: str = PLAN, by: str = "rita") -> plans.PlanVersion:
    platform.act(
        plans.lodge_plan,
        by=by,
        project="dfh-pilot",
        plan_name="dfh-pilot",
        plan_version="1.0.0",
        text=body,
    )
    return platform.read(plans.plan_history, "dfh-pilot")[-1]


def amend(platform: Platform, body: str = CHANGED, reason: str = "seed fixed") -> None:
    platform.act(
        plans.amend_plan,
        by="rita",
        project="dfh-pilot",
        plan_name="dfh-pilot",
        plan_version="1.0.1",
        text=body,
        reason=reason,
    )


def entries(platform: Platform, prefix: str) -> list[dict[str, object]]:
    return platform.read(
        lambda s: [audit.details_of(e) for e in audit.entries(s, action_prefix=prefix)]
    )


def test_lodging_records_the_hash_and_time_in_the_table_and_the_audit_chain(
    cast: Platform,
) -> None:
    version = lodge(cast)
    assert version.sha256 == sha256_bytes(PLAN.encode()) and version.revision == 0
    assert version.text == PLAN and not version.amendment
    [entry] = entries(cast, "plan.lodged")
    assert entry["sha256"] == version.sha256 and entry["project"] == "dfh-pilot"
    assert cast.read(differences) == []


def test_lodging_the_same_text_again_changes_nothing(sqlite_cast: Platform) -> None:
    first = lodge(sqlite_cast)
    again = lodge(sqlite_cast)
    assert again == first
    assert len(entries(sqlite_cast, "plan.lodged")) == 1


def test_a_plan_changed_after_lodging_is_refused_as_a_new_lodging(sqlite_cast: Platform) -> None:
    lodge(sqlite_cast)
    with pytest.raises(InvalidTransition, match="it is an amendment: nightingale plans amend"):
        lodge(sqlite_cast, CHANGED)
    assert len(sqlite_cast.read(plans.plan_history, "dfh-pilot")) == 1
    [refusal] = entries(sqlite_cast, "plan.lodge.refused")
    assert "was lodged on" in str(refusal["reason"])


def test_an_amendment_is_kept_beside_the_lodged_plan_with_its_reason_and_date(
    sqlite_cast: Platform,
) -> None:
    lodged = lodge(sqlite_cast)
    amend(sqlite_cast)
    history = sqlite_cast.read(plans.plan_history, "dfh-pilot")
    assert [v.revision for v in history] == [0, 1]
    assert history[0] == lodged
    assert history[1].amendment and history[1].reason == "seed fixed"
    assert history[1].lodged_at >= lodged.lodged_at
    [entry] = entries(sqlite_cast, "plan.amended")
    assert entry["previous_sha256"] == lodged.sha256 and entry["revision"] == 1
    assert sqlite_cast.read(differences) == []


def test_an_amendment_needs_a_lodged_plan_a_change_and_a_reason(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidTransition, match="has not been lodged"):
        amend(sqlite_cast)
    lodge(sqlite_cast)
    with pytest.raises(InvalidInput, match="needs a reason"):
        amend(sqlite_cast, reason=" ")
    with pytest.raises(InvalidInput, match="unchanged since revision 0"):
        amend(sqlite_cast, body=PLAN)


@pytest.mark.parametrize("who", ["ron", "sam", "eve"])
def test_only_the_pi_lodges(sqlite_cast: Platform, who: str) -> None:
    with pytest.raises(PermissionDenied):
        lodge(sqlite_cast, by=who)
    assert sqlite_cast.read(plans.plan_history, "dfh-pilot") == []


def test_a_plan_row_rewritten_behind_governance_is_named_by_the_audit_check(
    sqlite_cast: Platform,
) -> None:
    lodge(sqlite_cast)
    sqlite_cast.read(
        lambda s: s.execute(text("UPDATE gov_analysis_plans SET sha256 = :x"), {"x": "0" * 64})
    )
    [difference] = sqlite_cast.read(differences)
    assert (difference.object_type, difference.field) == ("plan", "sha256")
