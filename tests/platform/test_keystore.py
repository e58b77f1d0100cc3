"""The keystore: versioned keys, rotation, HKDF derivation, file permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.keystore import (
    KEY_BYTES,
    FileKeyStore,
    KeyStore,
    MemoryKeyStore,
    parse_key_id,
)


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if request.param == "memory":
        return MemoryKeyStore()
    return FileKeyStore(tmp_path / "keys")


def test_a_generated_key_round_trips(store: KeyStore) -> None:
    key = store.ensure("linkage")
    assert key.key_id == "linkage-v1"
    assert len(key.secret) == KEY_BYTES
    assert store.get("linkage-v1") == key
    assert store.ensure("linkage") == key, "ensure never replaces an existing key"


def test_rotation_adds_a_current_version_and_keeps_old_ones_usable(store: KeyStore) -> None:
    first = store.ensure("linkage")
    second = store.rotate("linkage")
    assert second.key_id == "linkage-v2"
    assert second.secret != first.secret
    assert store.current("linkage") == second
    assert store.get(first.key_id) == first
    old = store.derive("linkage", "tokens", key_id=first.key_id)
    assert old.key_id == first.key_id
    assert old.secret != store.derive("linkage", "tokens").secret


def test_derivation_is_deterministic_per_context_and_differs_across_contexts(
    store: KeyStore,
) -> None:
    store.ensure("pseudonym")
    a1 = store.derive("pseudonym", "project:a")
    a2 = store.derive("pseudonym", "project:a")
    b = store.derive("pseudonym", "project:b")
    assert a1 == a2
    assert a1.secret != b.secret
    assert a1.secret != store.current("pseudonym").secret


@given(st.text(min_size=1), st.text(min_size=1))
def test_distinct_contexts_never_share_a_derived_key(left: str, right: str) -> None:
    store = MemoryKeyStore()
    store.ensure("pseudonym")
    same = store.derive("pseudonym", left).secret == store.derive("pseudonym", right).secret
    assert same == (left == right)


def test_missing_and_unknown_keys_are_refused_with_a_plain_message(store: KeyStore) -> None:
    with pytest.raises(ConfigurationError, match="nightingale init"):
        store.current("audit")
    store.ensure("audit")
    with pytest.raises(ConfigurationError, match="audit-v9 is not in the keystore"):
        store.get("audit-v9")
    with pytest.raises(ConfigurationError, match="not a key id"):
        parse_key_id("audit")


def test_key_files_are_created_0600_in_a_0700_folder(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.ensure("linkage")
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert store.path_of("linkage", 1).stat().st_mode & 0o777 == 0o600


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.ensure("linkage")
    os.chmod(store.path_of("linkage", 1), 0o644)
    with pytest.raises(ConfigurationError, match="mode 0644"):
        store.current("linkage")


def test_a_truncated_key_file_is_refused(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    store.ensure("linkage")
    store.path_of("linkage", 1).write_bytes(b"short")
    with pytest.raises(ConfigurationError, match="holds 5 bytes"):
        store.current("linkage")


def test_the_secret_never_appears_in_repr() -> None:
    store = MemoryKeyStore()
    key = store.ensure("audit")
    assert key.secret.hex() not in repr(key)
