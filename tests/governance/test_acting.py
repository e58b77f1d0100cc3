"""The opening every governance action shares: who acts, may they, and the audited refusal.

Inside ``acting`` a refusal is the same whatever raised it: the block's changes are rolled
back, exactly one ``<action>.refused`` entry is committed, and the error is raised again.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from nightingale.governance import audit, datasets
from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput, NotFound, PermissionDenied
from nightingale.governance.models import Dataset
from nightingale.governance.policy import Action
from nightingale.platform.keystore import KeyStore
from tests.governance.conftest import Platform


def _entries(platform: Platform, prefix: str) -> list[tuple[str, str, str]]:
    return platform.read(
        lambda s: [
            (e.actor, e.action, audit.details_of(e).get("reason", ""))
            for e in audit.entries(s, action_prefix=prefix)
        ]
    )


def _classify(
    who_is: str, *, fail_with: Exception | None = None
) -> Callable[[Session, KeyStore], str]:
    """An action that reclassifies housing inside ``acting`` and then maybe fails."""

    def action(session: Session, keystore: KeyStore) -> str:
        with acting(
            session,
            keystore,
            who_is,
            Action.DATASET_MANAGE,
            object_type="dataset",
            object_id="housing",
        ) as who:
            session.get_one(Dataset, "housing").classification = "special_category"
            who.audit("dataset.registered", {"classification": "special_category"})
            if fail_with is not None:
                raise fail_with
            return who.username

    return action


def _housing(platform: Platform) -> str:
    return platform.read(lambda s: s.get_one(Dataset, "housing").classification)


def test_an_allowed_action_runs_and_audits_as_the_acting_person(sqlite_cast: Platform) -> None:
    assert sqlite_cast.act(_classify("sam")) == "sam"
    assert _housing(sqlite_cast) == "special_category"
    assert _entries(sqlite_cast, "dataset.registered")[-1][:2] == ("sam", "dataset.registered")
    assert _entries(sqlite_cast, "dataset.manage.refused") == []


def test_an_unknown_person_is_refused_and_audited_before_the_block(sqlite_cast: Platform) -> None:
    with pytest.raises(NotFound, match="refused: no person called 'mallory'"):
        sqlite_cast.act(_classify("mallory"))
    assert _housing(sqlite_cast) == "personal"
    assert _entries(sqlite_cast, "dataset.manage.refused") == [
        ("mallory", "dataset.manage.refused", "no person called 'mallory'")
    ]


def test_the_policys_refusal_is_audited_once_and_the_block_never_runs(
    sqlite_cast: Platform,
) -> None:
    with pytest.raises(PermissionDenied, match="dataset.manage needs the role"):
        sqlite_cast.act(_classify("rita"))
    assert _housing(sqlite_cast) == "personal"
    [(actor, _, reason)] = _entries(sqlite_cast, "dataset.manage.refused")
    assert actor == "rita" and "needs the role administrator or data_steward" in reason


def test_a_governance_error_in_the_block_is_an_audited_refusal_and_undoes_the_block(
    sqlite_cast: Platform,
) -> None:
    problem = InvalidInput("housing: description must not be empty")
    with pytest.raises(InvalidInput) as raised:
        sqlite_cast.act(_classify("sam", fail_with=problem))
    assert raised.value is problem and str(problem) == "housing: description must not be empty"
    assert _housing(sqlite_cast) == "personal"
    registered = [a for a, *_ in _entries(sqlite_cast, "dataset.registered") if a == "sam"]
    assert registered == []
    assert _entries(sqlite_cast, "dataset.manage.refused") == [
        ("sam", "dataset.manage.refused", "housing: description must not be empty")
    ]


def test_other_errors_pass_through_unaudited(sqlite_cast: Platform) -> None:
    with pytest.raises(RuntimeError):
        sqlite_cast.act(_classify("sam", fail_with=RuntimeError("disk full")))
    assert _housing(sqlite_cast) == "personal"
    assert _entries(sqlite_cast, "dataset.manage.refused") == []


def test_a_refusal_inside_the_block_is_audited_once(sqlite_cast: Platform) -> None:
    def refuse_inside(session: Session, keystore: KeyStore) -> None:
        with acting(
            session, keystore, "sam", Action.DATASET_MANAGE, object_type="dataset", object_id="x"
        ) as who:
            who.refuse("x is not a provider", error=InvalidInput)

    with pytest.raises(InvalidInput, match="refused: x is not a provider"):
        sqlite_cast.act(refuse_inside)
    assert _entries(sqlite_cast, "dataset.manage.refused") == [
        ("sam", "dataset.manage.refused", "x is not a provider")
    ]


def test_an_action_refused_inside_another_is_audited_once_under_its_own_name(
    sqlite_cast: Platform,
) -> None:
    def nested(session: Session, keystore: KeyStore) -> None:
        with acting(
            session, keystore, "ada", Action.GOVERNANCE_ENFORCE, object_type="platform",
            object_id="expiry",
        ):  # fmt: skip
            datasets.register_dataset(
                session, keystore, by="rita", name="housing", classification="personal",
                description="x",
            )  # fmt: skip

    with pytest.raises(PermissionDenied):
        sqlite_cast.act(nested)
    refused = _entries(sqlite_cast, "")
    assert [(a, action) for a, action, _ in refused if action.endswith(".refused")] == [
        ("rita", "dataset.manage.refused")
    ]
