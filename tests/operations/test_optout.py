"""The national data opt-out: loaded by a linkage officer as keyed tokens, never in clear;
at build, opted-out people's health data stay out of the release, counted and audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.governance import audit
from nightingale.governance.errors import PermissionDenied
from nightingale.linkage.optout import OptOutFileError, optout_path
from nightingale.operations import optout
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import keystore_for
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot
from tests.operations.intake_world import NHS, build, pids, pilot

ALICE = NHS["g1"]


def _list(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "optout.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pid(settings: Settings, person: str) -> str:
    return Pseudonymiser(keystore_for(settings), "dfh-pilot", "pseudonym-v1").pid(person)


def test_the_list_is_kept_as_keyed_tokens_and_its_load_audited_without_numbers(
    settings: Settings, tmp_path: Path
) -> None:
    pilot(settings, approve=False)
    source = _list(tmp_path, "nhs_number", "400 000 0012", "4000000012", "", "4000000020")
    with open_unit(settings, "lina") as unit:
        loaded = optout.load(unit, source)
    assert loaded.entries == 2  # a number listed twice is one person
    sealed = optout_path(DataRoot(settings.data_root), "health").read_bytes()
    assert ALICE.encode() not in sealed and b"4000000020" not in sealed
    with open_unit(settings, "reader") as unit:
        [entry] = audit.entries(unit.session, action_prefix="optout.loaded")
        details = audit.details_of(entry)
    assert details == {"entries": 2, "sha256": loaded.sha256}
    assert (entry.actor, entry.object_id) == ("lina", "health")


def test_a_row_that_is_not_an_nhs_number_is_named_and_nothing_is_loaded(
    settings: Settings, tmp_path: Path
) -> None:
    pilot(settings, approve=False)
    source = _list(tmp_path, "nhs_number", ALICE, "4000000013")
    invalid = pytest.raises(OptOutFileError, match=r"optout.csv: row 3, field nhs_number")
    with invalid as caught, open_unit(settings, "lina") as unit:
        optout.load(unit, source)
    assert "4000000013" not in str(caught.value)
    assert not optout_path(DataRoot(settings.data_root), "health").exists()


@pytest.mark.parametrize("who", ["ada", "sam", "rita"])
def test_only_a_linkage_officer_loads_the_list(
    settings: Settings, tmp_path: Path, who: str
) -> None:
    pilot(settings, approve=False)
    refused = pytest.raises(PermissionDenied, match="optout.load needs the role linkage_officer")
    with refused, open_unit(settings, who) as unit:
        optout.load(unit, _list(tmp_path, ALICE))
    assert not optout_path(DataRoot(settings.data_root), "health").exists()


def test_an_opted_out_persons_rows_never_appear_in_a_release(
    settings: Settings, tmp_path: Path
) -> None:
    # Adversarial: without the opt-out filter alice (in the cohort, with admissions, A&E
    # and GP records) would be in persons and in every period of the panel. Carol opted
    # out too (two GP registrations): both are counted once each.
    request_id = pilot(settings)
    before = build(settings, request_id)
    assert _pid(settings, "alice") in pids(before)[0] and _pid(settings, "alice") in pids(before)[1]
    assert before.manifest.opted_out_removed == 0
    with open_unit(settings, "lina") as unit:
        optout.load(unit, _list(tmp_path, ALICE, NHS["g3"]))
    after = build(settings, request_id)
    persons, panel = pids(after)
    gone = {_pid(settings, "alice"), _pid(settings, "carol")}
    assert not gone & (persons | panel)
    assert persons == pids(before)[0] - gone
    assert after.manifest.opted_out_removed == 2
    assert after.manifest.rows.persons == before.manifest.rows.persons - 2
    with open_unit(settings, "reader") as unit:
        built = [
            audit.details_of(e) for e in audit.entries(unit.session, action_prefix="release.built")
        ]
    assert [b["opted_out_removed"] for b in built] == [0, 2]
