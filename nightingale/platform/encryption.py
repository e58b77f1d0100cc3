"""Authenticated encryption at rest for files that hold identifiers.

AES-256-GCM from ``cryptography``. A sealed blob is::

    b"NGE1" | len(key_id) (1 byte) | key_id (ascii) | nonce (12 bytes) | ciphertext+tag

The header (magic and key id) is authenticated as associated data, so swapping the key
id, truncating or flipping any bit makes decryption fail with :class:`IntegrityError`.
The key id lets old files be read after the ``encryption`` key rotates.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nightingale.platform.errors import ConfigurationError, IntegrityError
from nightingale.platform.keystore import KeyStore

MAGIC = b"NGE1"
NONCE_BYTES = 12
PURPOSE = "encryption"


def seal(plaintext: bytes, keystore: KeyStore, context: str = "file") -> bytes:
    """Encrypt ``plaintext`` with the current encryption key (derived for ``context``)."""
    key = keystore.derive(PURPOSE, context)
    key_id = key.key_id.encode("ascii")
    header = MAGIC + bytes([len(key_id)]) + key_id
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key.secret).encrypt(nonce, plaintext, header)


def open_sealed(blob: bytes, keystore: KeyStore, context: str = "file", name: str = "") -> bytes:
    """Decrypt a blob made by :func:`seal`; raise :class:`IntegrityError` if it was altered."""
    where = f"{name}: " if name else ""
    if len(blob) < len(MAGIC) + 1 or not blob.startswith(MAGIC):
        raise IntegrityError(f"{where}not a Nightingale encrypted file")
    id_length = blob[len(MAGIC)]
    header_end = len(MAGIC) + 1 + id_length
    if len(blob) < header_end + NONCE_BYTES + 16:
        raise IntegrityError(f"{where}encrypted file is truncated")
    header = blob[:header_end]
    key_id = header[len(MAGIC) + 1 :].decode("ascii", errors="replace")
    nonce = blob[header_end : header_end + NONCE_BYTES]
    try:
        key = keystore.derive(PURPOSE, context, key_id=key_id)
    except ConfigurationError as exc:
        raise IntegrityError(f"{where}cannot decrypt: {exc}") from exc
    try:
        return AESGCM(key.secret).decrypt(nonce, blob[header_end + NONCE_BYTES :], header)
    except InvalidTag as exc:
        raise IntegrityError(
            f"{where}decryption failed: the file was altered or the key ({key_id}) is wrong"
        ) from exc
