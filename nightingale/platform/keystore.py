"""Keys: where they live, how they rotate, how sub-keys are derived.

Every secret the platform uses comes from a :class:`KeyStore`. A key has a *purpose*
(``linkage`` for identifier tokens, ``pseudonym`` for project pseudonyms, ``audit`` for
the audit chain, ``encryption`` for identifiers at rest) and a version; its id is
``<purpose>-v<version>``. Rotation adds a new version and makes it current; old
versions stay readable so tokens, pseudonyms and ciphertexts made with them remain
verifiable.

Sub-keys are derived with HKDF-SHA256 (``cryptography``), never by ad-hoc hashing:
``derive("pseudonym", "project:dfh-pilot")`` gives a key only that project's releases
use, so two projects' pseudonyms cannot be joined.

:class:`FileKeyStore` keeps 32-byte random keys in ``<data_root>/keys`` (folder 0700,
files 0600) and refuses keys whose permissions are looser. :class:`MemoryKeyStore` is
the in-memory fake for tests.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from nightingale.platform.errors import ConfigurationError

KEY_BYTES = 32
PURPOSES = ("linkage", "pseudonym", "audit", "encryption")
_KEY_ID = re.compile(r"^(?P<purpose>[a-z][a-z0-9_]*)-v(?P<version>[1-9][0-9]*)$")


@dataclass(frozen=True)
class Key:
    """A key's id and secret bytes. ``repr`` never shows the secret."""

    key_id: str
    secret: bytes

    def __repr__(self) -> str:
        return f"Key(key_id={self.key_id!r}, secret=<{len(self.secret)} bytes>)"


def key_id_for(purpose: str, version: int) -> str:
    """The id of version ``version`` of the key for ``purpose``."""
    return f"{purpose}-v{version}"


def parse_key_id(key_id: str) -> tuple[str, int]:
    """Split ``linkage-v3`` into ``("linkage", 3)``; reject anything else."""
    match = _KEY_ID.match(key_id)
    if not match:
        raise ConfigurationError(f"not a key id: {key_id!r} (expected '<purpose>-v<version>')")
    return match["purpose"], int(match["version"])


def hkdf(secret: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 of ``secret`` for ``info``: deterministic, independent per ``info``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


class KeyStore(ABC):
    """Versioned secret keys by purpose, with HKDF derivation of sub-keys."""

    @abstractmethod
    def versions(self, purpose: str) -> list[int]:
        """The versions held for ``purpose``, oldest first (empty when none)."""

    @abstractmethod
    def _load(self, purpose: str, version: int) -> bytes:
        """The secret bytes of one version."""

    @abstractmethod
    def _store(self, purpose: str, version: int, secret: bytes) -> None:
        """Persist a new version; must not overwrite an existing one."""

    def get(self, key_id: str) -> Key:
        """The key with this id; raises when it is unknown."""
        purpose, version = parse_key_id(key_id)
        if version not in self.versions(purpose):
            raise ConfigurationError(f"key {key_id} is not in the keystore")
        return Key(key_id, self._load(purpose, version))

    def current(self, purpose: str) -> Key:
        """The newest key for ``purpose``; raises when there is none."""
        versions = self.versions(purpose)
        if not versions:
            raise ConfigurationError(
                f"no '{purpose}' key in the keystore; run 'nightingale init' first"
            )
        return self.get(key_id_for(purpose, versions[-1]))

    def ensure(self, purpose: str) -> Key:
        """The current key for ``purpose``, generating version 1 when there is none."""
        if not self.versions(purpose):
            self._store(purpose, 1, secrets.token_bytes(KEY_BYTES))
        return self.current(purpose)

    def rotate(self, purpose: str) -> Key:
        """Add a new random version for ``purpose`` and return it (now current)."""
        versions = self.versions(purpose)
        version = (versions[-1] + 1) if versions else 1
        self._store(purpose, version, secrets.token_bytes(KEY_BYTES))
        return self.current(purpose)

    def derive(self, purpose: str, context: str, key_id: str | None = None) -> Key:
        """A sub-key of ``purpose``'s key (current unless ``key_id``) for ``context``.

        The derived key's id is the parent's id, so whoever holds a token or pseudonym can
        find the key to verify it with after rotation.
        """
        parent = self.get(key_id) if key_id else self.current(purpose)
        info = f"nightingale/{purpose}/{context}".encode()
        return Key(parent.key_id, hkdf(parent.secret, info))


class MemoryKeyStore(KeyStore):
    """Keys held in a dict: the fake for tests and throwaway tools."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, int], bytes] = {}

    def versions(self, purpose: str) -> list[int]:
        return sorted(v for (p, v) in self._keys if p == purpose)

    def _load(self, purpose: str, version: int) -> bytes:
        return self._keys[(purpose, version)]

    def _store(self, purpose: str, version: int, secret: bytes) -> None:
        if (purpose, version) in self._keys:
            raise ConfigurationError(f"key {key_id_for(purpose, version)} already exists")
        self._keys[(purpose, version)] = secret


class FileKeyStore(KeyStore):
    """Keys as files ``<folder>/<purpose>-v<N>.key`` (32 raw bytes, mode 0600)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, purpose: str, version: int) -> Path:
        """The file holding one key version."""
        return self.folder / f"{key_id_for(purpose, version)}.key"

    def versions(self, purpose: str) -> list[int]:
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob(f"{purpose}-v*.key"):
            parsed_purpose, version = parse_key_id(path.stem)
            if parsed_purpose == purpose:
                found.append(version)
        return sorted(found)

    def _load(self, purpose: str, version: int) -> bytes:
        path = self.path_of(purpose, version)
        check_key_file(path)
        try:
            secret = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"cannot read key file {path}: {exc.strerror}") from exc
        if len(secret) != KEY_BYTES:
            raise ConfigurationError(
                f"key file {path} holds {len(secret)} bytes, expected {KEY_BYTES}"
            )
        return secret

    def _store(self, purpose: str, version: int, secret: bytes) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.path_of(purpose, version)
        # O_EXCL: never overwrite a key; 0600 from creation, never briefly readable.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise ConfigurationError(f"key file {path} already exists") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret)
            handle.flush()
            os.fsync(handle.fileno())


def check_key_file(path: Path) -> None:
    """Refuse a key file that group or others may read or write."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise ConfigurationError(f"cannot read key file {path}: {exc.strerror}") from exc
    if mode & 0o077:
        raise ConfigurationError(
            f"key file {path} has mode {mode:04o}; keys must be 0600 (run: chmod 600 {path})"
        )
