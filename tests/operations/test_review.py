"""Clerical review: only linkage stewards see identifiers and decide; every step audited.

A steward who also holds the linkage role lists a run's sample, opens a pair (both
records' identifiers, audited ``linkage_review.viewed``) and decides it (audited); the
estimates after review are written into the run's report. Everyone else is refused and
the refusal audited; a pair outside the sample is refused; a reviewer decides a pair
once and changes it only by an explicit revision; no identifier reaches the audit log or
the logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from nightingale.governance import audit
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.linkage.review import pair_key, read_review
from nightingale.linkage.spine import spine_folder
from nightingale.operations import review
from nightingale.operations.unit import open_unit
from nightingale.platform.storage import DataRoot
from tests.linkage.region import PEOPLE
from tests.operations.review_world import OTHERS, REVIEWERS, ReviewWorld, review_world

RHEA, ROWAN = REVIEWERS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewWorld]:
    yield review_world(tmp_path_factory.mktemp("review"))


def _keys(world: ReviewWorld) -> list[str]:
    with open_unit(world.settings, RHEA) as unit:
        return [row.pair_key for s in review.sample(unit, world.run_id) for row in s.rows]


def _undecided(world: ReviewWorld) -> list[str]:
    with open_unit(world.settings, RHEA) as unit:
        rows = [row for s in review.sample(unit, world.run_id) for row in s.rows]
    return [row.pair_key for row in rows if not row.reviewers]


def _entries(world: ReviewWorld, prefix: str) -> list[tuple[str, dict[str, object]]]:
    with open_unit(world.settings, "reader") as unit:
        return [
            (entry.actor, audit.details_of(entry))
            for entry in audit.entries(unit.session, action_prefix=prefix)
        ]


def _identifiers() -> list[str]:
    """Every identifier value of the region, as written and as normalised."""
    values = []
    for person in PEOPLE:
        for value in (person[1], person[2], person[3], person[5], person[6], person[7]):
            values += [value, value.upper(), value.replace(" ", "")]
    return values


def test_a_linkage_steward_lists_the_sample_by_stratum(world: ReviewWorld) -> None:
    with open_unit(world.settings, RHEA) as unit:
        strata = review.sample(unit, world.run_id)
        before, _after = review.report_estimates(unit, world.run_id)
    assert strata and all(s.rows for s in strata)
    names = [s.name for s in strata]
    bands = [name for name in names if name.startswith("weight")]
    assert bands and names[: len(bands)] == bands  # the weight bands first, low to high
    assert bands[0].startswith("weight below") or len(bands) < 5
    assert not bands[-1].startswith("weight below") or len(bands) == 1
    assert "precision_ci" in before and "recall_ci" in before


def test_a_linkage_steward_sees_both_records_identifiers_and_the_view_is_audited(
    world: ReviewWorld,
) -> None:
    key = _keys(world)[0]
    with open_unit(world.settings, RHEA) as unit:
        view = review.show(unit, world.run_id, key)
    assert view.left["family_name"] and view.right["family_name"]
    assert view.agreement and view.weight == pytest.approx(view.weight)
    assert (RHEA, {"pair": key}) in _entries(world, "linkage_review.viewed")


@pytest.mark.parametrize("who", sorted(OTHERS))
def test_everyone_else_is_refused_the_list_the_pair_and_the_decision_audited(
    world: ReviewWorld, who: str
) -> None:
    key = _keys(world)[0]
    for attempt in (
        lambda unit: review.sample(unit, world.run_id),
        lambda unit: review.show(unit, world.run_id, key),
        lambda unit: review.decide(unit, world.run_id, key, "match"),
    ):
        with pytest.raises(PermissionDenied), open_unit(world.settings, who) as unit:
            attempt(unit)
    refused = [actor for actor, _ in _entries(world, "linkage_review.") if actor == who]
    assert len(refused) == 3
    assert who not in {actor for actor, _ in _entries(world, "linkage_review.viewed")}
    assert who not in {actor for actor, _ in _entries(world, "linkage_review.decided")}


def test_a_plain_steward_is_told_the_linkage_role_is_needed(world: ReviewWorld) -> None:
    with (
        pytest.raises(PermissionDenied, match="without the linkage role"),
        open_unit(world.settings, "sam") as unit,
    ):
        review.show(unit, world.run_id, _keys(world)[0])


def test_a_pair_outside_the_sample_is_neither_shown_nor_decided(world: ReviewWorld) -> None:
    bundle = read_review(DataRoot(world.settings.data_root), _keystore(world), world.run_id)
    pairs = bundle.data.pairs
    sampled = set(bundle.sample["pair_key"])
    outside = [
        key
        for key in (
            pair_key(r.source_l, r.record_l, r.source_r, r.record_r)
            for r in pairs.itertuples(index=False)
        )
        if key not in sampled
    ]
    for key in [*outside[:1], pair_key("health", "made-up", "housing", "made-up")]:
        with (
            pytest.raises(PermissionDenied, match="not in the review sample"),
            open_unit(world.settings, RHEA) as unit,
        ):
            review.decide(unit, world.run_id, key, "match")
        with (
            pytest.raises(PermissionDenied, match="not in the review sample"),
            open_unit(world.settings, RHEA) as unit,
        ):
            review.show(unit, world.run_id, key)


def _keystore(world: ReviewWorld):  # type: ignore[no-untyped-def]
    from nightingale.platform.bootstrap import keystore_for

    return keystore_for(world.settings)


def test_a_reviewer_decides_once_and_changes_only_by_revision(world: ReviewWorld) -> None:
    key = _keys(world)[1]
    with open_unit(world.settings, ROWAN) as unit:
        review.decide(unit, world.run_id, key, "unsure", note="different middle initial")
    with (
        pytest.raises(PermissionDenied, match="already decided"),
        open_unit(world.settings, ROWAN) as unit,
    ):
        review.decide(unit, world.run_id, key, "match")
    with (
        pytest.raises(PermissionDenied, match="no decision on pair"),
        open_unit(world.settings, RHEA) as unit,
    ):
        review.decide(unit, world.run_id, key, "match", revise=True)
    with open_unit(world.settings, ROWAN) as unit:
        review.decide(unit, world.run_id, key, "match", revise=True)
    decided = [d for a, d in _entries(world, "linkage_review.decided") if d["pair"] == key]
    revised = [d for a, d in _entries(world, "linkage_review.revised") if d["pair"] == key]
    assert decided == [{"pair": key, "decision": "unsure", "note": True}]
    assert revised[0]["decision"] == "match" and revised[0]["was"] == "unsure"
    with open_unit(world.settings, RHEA) as unit:
        rows = {r.pair_key: r for s in review.sample(unit, world.run_id) for r in s.rows}
    assert rows[key].outcome == "match" and rows[key].reviewers == {ROWAN: "match"}


def test_an_unknown_decision_is_refused(world: ReviewWorld) -> None:
    with pytest.raises(InvalidInput, match="not one of"), open_unit(world.settings, RHEA) as unit:
        review.decide(unit, world.run_id, _keys(world)[2], "probably")


def test_decisions_update_the_estimates_in_the_report_in_the_direction_they_say(
    world: ReviewWorld,
) -> None:
    with open_unit(world.settings, RHEA) as unit:
        rows = [r for s in review.sample(unit, world.run_id) for r in s.rows]
        before, _ = review.report_estimates(unit, world.run_id)
    linked = [r.pair_key for r in rows if r.linked and r.outcome is None]
    assert linked
    for key in linked:
        with open_unit(world.settings, RHEA) as unit:
            after = review.decide(unit, world.run_id, key, "non-match")
    assert after["precision"] < before["precision"]
    report = json.loads(
        (spine_folder(DataRoot(world.settings.data_root), world.run_id) / "report.json").read_text()
    )
    assert report["estimated_after_review"]["precision"] == after["precision"]
    assert report["estimated_after_review"]["reviewed_pairs"] >= len(linked)
    assert report["estimated"] == before
    html = (
        spine_folder(DataRoot(world.settings.data_root), world.run_id) / "report.html"
    ).read_text()
    assert "after clerical review of" in html


def test_a_decision_not_committed_leaves_the_report_as_it_was(world: ReviewWorld) -> None:
    path = spine_folder(DataRoot(world.settings.data_root), world.run_id) / "report.json"
    key = _undecided(world)[0]
    kept = path.read_text()
    with pytest.raises(RuntimeError), open_unit(world.settings, RHEA) as unit:
        review.decide(unit, world.run_id, key, "match")
        raise RuntimeError("a later step failed")
    assert path.read_text() == kept


def test_no_identifier_reaches_the_audit_log_or_the_logs(
    world: ReviewWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keys = _undecided(world)
    with open_unit(world.settings, ROWAN) as unit:
        view = review.show(unit, world.run_id, keys[0])
        review.decide(unit, world.run_id, keys[0], "match", note="looks right")
    seen = [v for v in (*view.left.values(), *view.right.values()) if len(v) >= 4]
    assert seen
    with open_unit(world.settings, "reader") as unit:
        logged = json.dumps(
            [
                (e.actor, e.action, e.object_id, audit.details_of(e))
                for e in audit.entries(unit.session)
            ]
        )
    for value in [*seen, *_identifiers()]:
        if len(value) >= 4:
            assert value not in logged
            assert value not in caplog.text


def test_figures_behind_the_decisions_are_made_again_when_read(world: ReviewWorld) -> None:
    # Two reviewers deciding at once: the report keeps the figures of whichever wrote last.
    root = DataRoot(world.settings.data_root)
    path = spine_folder(root, world.run_id) / "report.json"
    with open_unit(world.settings, RHEA) as unit:
        review.decide(unit, world.run_id, _undecided(world)[0], "match")
    current = json.loads(path.read_text())["estimated_after_review"]
    stale = json.loads(path.read_text())
    stale["estimated_after_review"] = {**current, "decisions_through": 1, "reviewed_pairs": 0}
    path.write_text(json.dumps(stale))
    with open_unit(world.settings, RHEA) as unit:
        _before, after = review.report_estimates(unit, world.run_id)
    assert after is not None and after == current
    assert json.loads(path.read_text())["estimated_after_review"] == current
