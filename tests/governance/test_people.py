"""People: the first administrator, roles, accreditation, argon2 passwords."""

from __future__ import annotations

import pytest

from nightingale.governance import audit, passwords, people
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.settings import PasswordHashing
from tests.governance.conftest import CHEAP, Platform


def test_a_fresh_platform_starts_with_an_administrator(platform: Platform) -> None:
    with pytest.raises(InvalidInput, match="first person on a platform must be an administrator"):
        platform.act(
            people.create_person, by=None, username="rita", display_name="R", roles=["researcher"]
        )
    platform.act(
        people.create_person, by=None, username="ada", display_name="A", roles=["administrator"]
    )
    with pytest.raises(PermissionDenied, match="only be managed by an administrator"):
        platform.act(
            people.create_person,
            by=None,
            username="mallory",
            display_name="M",
            roles=["administrator"],
        )
    entries = platform.read(lambda s: [(e.actor, e.action) for e in audit.entries(s)])
    assert entries == [("bootstrap", "person.created"), ("anonymous", "person.manage.refused")]


def test_only_administrators_manage_people(sqlite_cast: Platform) -> None:
    with pytest.raises(PermissionDenied, match="person.manage needs the role administrator"):
        sqlite_cast.act(
            people.create_person, by="sam", username="sid", display_name="S", roles=["data_steward"]
        )
    with pytest.raises(InvalidInput, match="unknown role"):
        sqlite_cast.act(
            people.create_person, by="ada", username="sid", display_name="S", roles=["superuser"]
        )
    with pytest.raises(InvalidInput, match="username 'Sid Vicious'"):
        sqlite_cast.act(
            people.create_person,
            by="ada",
            username="Sid Vicious",
            display_name="S",
            roles=["researcher"],
        )


def test_passwords_are_argon2id_and_checked(sqlite_cast: Platform) -> None:
    found = sqlite_cast.read(people.authenticate, "rita", "rita-password-1")
    assert found is not None and found.username == "rita"
    assert found.password_hash is not None and found.password_hash.startswith("$argon2id$")
    assert sqlite_cast.read(people.authenticate, "rita", "wrong-password-1") is None
    assert sqlite_cast.read(people.authenticate, "nobody", "rita-password-1") is None


def test_a_deactivated_person_cannot_log_in(sqlite_cast: Platform) -> None:
    sqlite_cast.act(people.deactivate, by="ada", username="rita")
    assert sqlite_cast.read(people.authenticate, "rita", "rita-password-1") is None


def test_short_passwords_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at least 12 characters"):
        passwords.hash_password("short", CHEAP)


def test_production_parameters_are_not_weakened_by_tests() -> None:
    defaults = PasswordHashing()
    assert (defaults.time_cost, defaults.memory_cost_kib) == (3, 65536)
    cheap_hash = passwords.hash_password("correct horse battery", CHEAP)
    assert passwords.needs_rehash(cheap_hash)
    assert passwords.check_password(cheap_hash, "correct horse battery")
    assert not passwords.check_password("not-a-hash", "correct horse battery")


def test_roles_and_accreditation_changes_are_audited(sqlite_cast: Platform) -> None:
    sqlite_cast.act(
        people.set_roles, by="ada", username="sam", roles=["data_steward", "output_checker"]
    )
    assert sqlite_cast.read(people.actor, "sam").roles == {"data_steward", "output_checker"}
    sqlite_cast.act(people.set_accreditation, by="ada", username="rita", expires=None)
    assert sqlite_cast.read(people.actor, "rita").accreditation_expires is None
    actions = sqlite_cast.read(lambda s: [e.action for e in audit.entries(s)][-2:])
    assert actions == ["person.roles_changed", "person.accreditation_set"]


def test_people_set_their_own_password_and_only_administrators_set_anothers(
    sqlite_cast: Platform,
) -> None:
    sqlite_cast.act(people.set_password, by="rita", username="rita", password="a-new-password-1")
    assert sqlite_cast.read(people.authenticate, "rita", "a-new-password-1") is not None
    with pytest.raises(PermissionDenied, match="only rita or an administrator"):
        sqlite_cast.act(people.set_password, by="sam", username="rita", password="sams-choice-12")
    assert sqlite_cast.read(people.authenticate, "rita", "sams-choice-12") is None
    sqlite_cast.act(people.set_password, by="ada", username="rita", password="reset-by-ada-1")
    assert sqlite_cast.read(people.authenticate, "rita", "reset-by-ada-1") is not None
    refused = sqlite_cast.read(
        lambda s: [e.actor for e in audit.entries(s, action_prefix="person.credentials.refused")]
    )
    assert refused == ["sam"]


def test_a_deactivated_person_cannot_set_their_own_password(sqlite_cast: Platform) -> None:
    sqlite_cast.act(people.deactivate, by="ada", username="rita")
    with pytest.raises(PermissionDenied, match="rita's account is deactivated"):
        sqlite_cast.act(people.set_password, by="rita", username="rita", password="still-me-123")
