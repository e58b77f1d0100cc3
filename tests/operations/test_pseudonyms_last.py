"""Pseudonyms that last: one project, one pid per person, release after release.

The first release of a project pins the pseudonym key it was made with; later releases
use that key whatever the keystore's current version is, and say which release they
extend. Moving a project to a new key is an administrator's re-key, which writes the
explicit old->new pid map and is audited; rotating the master key alone changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.governance import audit, pseudonym_keys
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.operations import keys
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import keystore_for
from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, sha256_file, visible_entries
from tests.operations.intake_world import build, pids, pilot

PROJECT = "dfh-pilot"
COHORT = ("alice", "bob", "carol", "fay")


def _actions(settings: Settings, prefix: str) -> list[dict]:
    with open_unit(settings, "reader") as unit:
        return [audit.details_of(e) for e in audit.entries(unit.session, action_prefix=prefix)]


def test_the_first_release_pins_the_key_and_the_next_extends_it(settings: Settings) -> None:
    request_id = pilot(settings)
    first = build(settings, request_id)
    second = build(settings, request_id)
    assert first.manifest.extends is None
    assert second.manifest.extends == first.release_id
    assert pids(second) == pids(first)
    assert second.manifest.pseudonym_key_id == first.manifest.pseudonym_key_id == "pseudonym-v1"
    with open_unit(settings, "reader") as unit:
        assert pseudonym_keys.pinned_key(unit.session, PROJECT) == "pseudonym-v1"
    [pinned] = _actions(settings, "pseudonym.pinned")
    assert pinned == {"key_id": "pseudonym-v1", "release": first.release_id}
    [_, built] = _actions(settings, "release.built")
    assert built["extends"] == first.release_id and built["pseudonym_key_id"] == "pseudonym-v1"


def test_rotating_the_master_key_without_a_rekey_does_not_change_a_projects_pids(
    settings: Settings,
) -> None:
    # Adversarial: without the pin the next release would be keyed with pseudonym-v2 and
    # every person would silently get a new pid.
    request_id = pilot(settings)
    first = build(settings, request_id)
    with open_unit(settings, "ada") as unit:
        assert keys.rotate(unit, "pseudonym") == "pseudonym-v2"
    assert keystore_for(settings).current("pseudonym").key_id == "pseudonym-v2"
    after = build(settings, request_id)
    assert after.manifest.pseudonym_key_id == "pseudonym-v1"
    assert pids(after) == pids(first)
    keystore = keystore_for(settings)
    expected = {Pseudonymiser(keystore, PROJECT, "pseudonym-v1").pid(p) for p in COHORT}
    assert pids(after)[0] == expected
    [rotated] = _actions(settings, "key.rotated")
    assert rotated == {"purpose": "pseudonym", "key_id": "pseudonym-v2"}


def test_a_rekey_writes_the_explicit_pid_map_and_the_next_release_uses_the_new_key(
    settings: Settings,
) -> None:
    request_id = pilot(settings)
    first = build(settings, request_id)
    with open_unit(settings, "ada") as unit:
        keys.rotate(unit, "pseudonym")
    with open_unit(settings, "ada") as unit:
        done = keys.rekey(unit, PROJECT)
    assert (done.old_key_id, done.new_key_id, done.pairs) == ("pseudonym-v1", "pseudonym-v2", 4)
    mapping = pq.read_table(done.pid_map).to_pylist()
    assert {row["old_pid"] for row in mapping} == pids(first)[0]
    later = build(settings, request_id)
    assert later.manifest.pseudonym_key_id == "pseudonym-v2"
    assert {row["new_pid"] for row in mapping} == pids(later)[0]
    assert not pids(later)[0] & pids(first)[0]
    [rekeyed] = _actions(settings, "pseudonym.rekeyed")
    assert rekeyed["from"] == "pseudonym-v1" and rekeyed["to"] == "pseudonym-v2"
    assert rekeyed["pairs"] == 4 and rekeyed["pid_map_sha256"] == sha256_file(done.pid_map)
    assert "alice" not in str(rekeyed)


def test_a_rekey_needs_a_rotated_key_and_an_administrator(settings: Settings) -> None:
    request_id = pilot(settings)
    build(settings, request_id)
    unrotated = pytest.raises(InvalidInput, match="rotate the pseudonym key first")
    with unrotated, open_unit(settings, "ada") as unit:
        keys.rekey(unit, PROJECT)
    for who in ("sam", "lina", "rita"):
        refused = pytest.raises(PermissionDenied, match="needs the role administrator")
        with refused, open_unit(settings, who) as unit:
            keys.rotate(unit, "pseudonym")
    assert keystore_for(settings).current("pseudonym").key_id == "pseudonym-v1"
    refused = [r["reason"] for r in _actions(settings, "key.manage.refused")]
    assert len(refused) == 4  # the re-key and the three rotations, each audited
    assert "rotate the pseudonym key first" in refused[0]
    maps = DataRoot(settings.data_root).projects / PROJECT / keys.PID_MAPS
    assert not maps.exists() or not visible_entries(maps)


def test_a_pinned_key_missing_from_the_keystore_stops_the_build(settings: Settings) -> None:
    # Adversarial: losing the pinned key must not fall back to the current one silently.
    request_id = pilot(settings)
    build(settings, request_id)
    with open_unit(settings, "ada") as unit:
        keys.rotate(unit, "pseudonym")
    Path(settings.data_root, "keys", "pseudonym-v1.key").unlink()
    with pytest.raises(ConfigurationError, match="pseudonym-v1 is not in the keystore"):
        build(settings, request_id)
    releases = visible_entries(DataRoot(settings.data_root).releases(PROJECT))
    assert len(releases) == 1
