"""Project pseudonyms: stable within a project, unrelated across projects, keyed."""

from __future__ import annotations

import hashlib

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from nightingale.cohorts.pseudonyms import PID_HEX_CHARS, Pseudonymiser
from nightingale.platform.keystore import MemoryKeyStore

STORE = MemoryKeyStore()
STORE.ensure("pseudonym")
person_ids = st.text(min_size=1, max_size=20)
projects = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)


@given(person_ids, projects)
def test_a_pseudonym_is_deterministic_per_project(person_id: str, project: str) -> None:
    assert Pseudonymiser(STORE, project).pid(person_id) == Pseudonymiser(STORE, project).pid(
        person_id
    )


@given(st.lists(person_ids, min_size=1, max_size=30, unique=True), projects, projects)
def test_two_projects_share_no_pseudonym(people: list[str], first: str, second: str) -> None:
    if first == second:
        return
    one = {Pseudonymiser(STORE, first).pid(p) for p in people}
    two = {Pseudonymiser(STORE, second).pid(p) for p in people}
    assert len(one) == len(people)
    assert not one & two


@given(person_ids)
def test_a_pseudonym_is_not_a_plain_hash(person_id: str) -> None:
    pid = Pseudonymiser(STORE, "p").pid(person_id)
    assert len(pid) == PID_HEX_CHARS and int(pid, 16) >= 0
    assert pid not in hashlib.sha256(person_id.encode()).hexdigest()


def test_another_keystore_gives_other_pseudonyms() -> None:
    other = MemoryKeyStore()
    other.ensure("pseudonym")
    assert Pseudonymiser(STORE, "p").pid("N00000001") != Pseudonymiser(other, "p").pid("N00000001")


def test_person_id_is_replaced_by_pid_in_first_place() -> None:
    persons = pa.table({"person_id": ["a", "b"], "x": [1, 2]})
    panel = pa.table({"person_id": ["b", "a", "a"], "period": [0, 0, 1]})
    pseudonymiser = Pseudonymiser(STORE, "p")
    new_persons, new_panel = pseudonymiser.replace_person_id(persons, panel)
    assert new_persons.column_names == ["pid", "x"]
    assert new_persons["pid"].to_pylist() == [pseudonymiser.pid(v) for v in ["a", "b"]]
    assert new_panel["pid"].to_pylist() == [pseudonymiser.pid(v) for v in ["b", "a", "a"]]
