"""Encryption at rest: round trip, tamper detection, wrong keys, rotation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.platform.encryption import open_sealed, seal
from nightingale.platform.errors import IntegrityError
from nightingale.platform.keystore import MemoryKeyStore


def _store() -> MemoryKeyStore:
    store = MemoryKeyStore()
    store.ensure("encryption")
    return store


@given(st.binary(max_size=4096))
def test_sealed_bytes_round_trip(plaintext: bytes) -> None:
    store = _store()
    assert open_sealed(seal(plaintext, store), store) == plaintext


def test_ciphertext_does_not_contain_the_plaintext() -> None:
    store = _store()
    assert b"9434765919" not in seal(b"nhs_number=9434765919", store)


@given(st.data())
def test_flipping_any_bit_is_detected(data: st.DataObject) -> None:
    store = _store()
    blob = bytearray(seal(b"identifiers of real people", store))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(IntegrityError):
        open_sealed(bytes(blob), store)


def test_truncation_is_detected() -> None:
    store = _store()
    blob = seal(b"x" * 100, store)
    with pytest.raises(IntegrityError):
        open_sealed(blob[:-1], store)
    with pytest.raises(IntegrityError, match="truncated"):
        open_sealed(blob[:20], store)


def test_a_wrong_key_is_detected() -> None:
    blob = seal(b"secret", _store())
    with pytest.raises(IntegrityError, match="altered or the key"):
        open_sealed(blob, _store())


def test_a_different_context_cannot_open_the_file() -> None:
    store = _store()
    with pytest.raises(IntegrityError):
        open_sealed(seal(b"secret", store, context="health"), store, context="housing")


def test_files_sealed_before_rotation_still_open() -> None:
    store = _store()
    old = seal(b"before", store)
    store.rotate("encryption")
    new = seal(b"after", store)
    assert open_sealed(old, store) == b"before"
    assert open_sealed(new, store) == b"after"
    assert b"encryption-v2" in new[:32]
