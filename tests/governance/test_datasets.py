"""Classifications: raising one takes one person, lowering one takes two.

The classification sets how many stewards must approve a request (two for special
category), so one steward who could reclassify health data as ordinary could then approve
a health request alone.
"""

from __future__ import annotations

import pytest

from nightingale.governance import audit, audit_reconcile, datasets
from nightingale.governance.errors import InvalidInput, PermissionDenied
from tests.governance.conftest import Platform


def _classification(platform: Platform, name: str) -> str:
    return platform.read(datasets.get_dataset, name).classification


def _actions(platform: Platform, prefix: str) -> list[tuple[str, str]]:
    return platform.read(
        lambda s: [(e.action, e.actor) for e in audit.entries(s, action_prefix=prefix)]
    )


def _propose(platform: Platform, by: str = "sam") -> int:
    return platform.act(
        datasets.propose_downgrade,
        by=by,
        name="health",
        classification="personal",
        reason="the extract holds no diagnoses any more",
    ).id


@pytest.mark.parametrize("who", ["sam", "ada"])
def test_one_person_cannot_downgrade_alone(cast: Platform, who: str) -> None:
    with pytest.raises(PermissionDenied, match="needs two people"):
        cast.act(
            datasets.register_dataset,
            by=who,
            name="health",
            classification="personal",
            description="GP data",
        )
    assert _classification(cast, "health") == "special_category"
    assert _actions(cast, "dataset.manage.refused") == [("dataset.manage.refused", who)]


def test_the_proposer_cannot_confirm_their_own_downgrade(cast: Platform) -> None:
    downgrade = _propose(cast)
    with pytest.raises(PermissionDenied, match="needs a second person"):
        cast.act(datasets.confirm_downgrade, by="sam", downgrade_id=downgrade)
    assert _classification(cast, "health") == "special_category"
    assert ("dataset.downgrade_confirm.refused", "sam") in _actions(cast, "dataset.")


def test_a_downgrade_takes_effect_when_a_second_person_confirms_it(cast: Platform) -> None:
    downgrade = _propose(cast)
    assert _classification(cast, "health") == "special_category"
    cast.act(datasets.confirm_downgrade, by="ada", downgrade_id=downgrade)
    assert _classification(cast, "health") == "personal"
    assert _actions(cast, "dataset.downgrade") == [
        ("dataset.downgrade_proposed", "sam"),
        ("dataset.downgrade_confirmed", "ada"),
    ]
    changes = cast.read(
        lambda s: [audit.details_of(e) for e in audit.entries(s, action_prefix="dataset.regis")]
    )
    assert changes[-1] == {"classification": "personal", "before": "special_category"}
    assert cast.read(audit_reconcile.differences) == []  # the tables agree with the log
    (done,) = cast.read(datasets.list_downgrades)
    assert (done.status, done.proposer.username, done.confirmer.username) == (
        "confirmed",
        "sam",
        "ada",
    )


def test_a_downgrade_is_confirmed_once(sqlite_cast: Platform) -> None:
    downgrade = _propose(sqlite_cast)
    sqlite_cast.act(datasets.confirm_downgrade, by="ada", downgrade_id=downgrade)
    with pytest.raises(PermissionDenied, match="downgrade 1 is confirmed"):
        sqlite_cast.act(datasets.confirm_downgrade, by="sasha", downgrade_id=downgrade)


def test_a_downgrade_overtaken_by_another_change_is_not_confirmed(sqlite_cast: Platform) -> None:
    stale = _propose(sqlite_cast, by="sam")
    newer = sqlite_cast.act(
        datasets.propose_downgrade,
        by="sasha",
        name="health",
        classification="public",
        reason="published aggregates only",
    )
    sqlite_cast.act(datasets.confirm_downgrade, by="ada", downgrade_id=newer.id)
    with pytest.raises(PermissionDenied, match="health is public now, not the special_category"):
        sqlite_cast.act(datasets.confirm_downgrade, by="ada", downgrade_id=stale)
    assert _classification(sqlite_cast, "health") == "public"


def test_only_stewards_and_administrators_propose_or_confirm(sqlite_cast: Platform) -> None:
    with pytest.raises(PermissionDenied, match="needs the role administrator or data_steward"):
        _propose(sqlite_cast, by="rita")
    downgrade = _propose(sqlite_cast)
    with pytest.raises(PermissionDenied, match="needs the role administrator or data_steward"):
        sqlite_cast.act(datasets.confirm_downgrade, by="otto", downgrade_id=downgrade)


def test_a_proposal_must_lower_and_say_why(sqlite_cast: Platform) -> None:
    with pytest.raises(InvalidInput, match="housing is personal; special_category is not lower"):
        sqlite_cast.act(
            datasets.propose_downgrade,
            by="sam",
            name="housing",
            classification="special_category",
            reason="r",
        )
    with pytest.raises(InvalidInput, match="needs a reason"):
        sqlite_cast.act(
            datasets.propose_downgrade, by="sam", name="health", classification="public", reason=" "
        )
    assert sqlite_cast.read(datasets.list_downgrades) == []


def test_raising_a_classification_takes_one_person(sqlite_cast: Platform) -> None:
    sqlite_cast.act(
        datasets.register_dataset,
        by="sam",
        name="housing",
        classification="special_category",
        description="with health-related repairs",
    )
    assert _classification(sqlite_cast, "housing") == "special_category"


def test_registering_the_defaults_again_never_undoes_a_reclassification(
    sqlite_cast: Platform,
) -> None:
    sqlite_cast.act(
        datasets.register_dataset,
        by="sam",
        name="housing",
        classification="special_category",
        description="with health-related repairs",
    )
    sqlite_cast.act(datasets.ensure_default_datasets, by="ada")
    assert _classification(sqlite_cast, "housing") == "special_category"
