"""The audit log: an append-only, keyed hash chain of every decision and data movement.

Each entry's hash is HMAC-SHA256, under a key derived from the keystore's ``audit`` key,
of its sequence number, the previous entry's hash and its content. Editing, deleting,
inserting or reordering entries therefore breaks the chain at the first altered entry,
and nobody without the audit key can forge a replacement chain (a plain hash chain
could simply be recomputed). :func:`verify` walks the chain and names the first broken
entry.

Concurrent writers cannot fork the chain: :func:`record` first *writes* the single
chain-head row (an UPDATE takes PostgreSQL's row lock and SQLite's database write lock),
then reads the head, so writers queue up and each extends the head the previous one left.
The entry is part of the caller's transaction: if the caller rolls back, the entry and
the head move vanish together. (On SQLite a transaction that *read* before another writer
committed cannot take the write lock and fails with "database is locked": an error to
retry, never a fork. Governance actions lock their row first, so they queue instead.)

The head row is keyed too (``head_mac``, see :mod:`.audit_anchor`): without the key a
person with database access cannot wind it back to an earlier entry after deleting the
entries that followed. Because they could still put back a head row they saved earlier,
the head is also kept outside the database, in a signed head file under the data root
that every commit advances, and optionally in anchors exported elsewhere;
``nightingale audit verify`` compares all of them (:mod:`nightingale.operations.audit`).

``details`` must never hold personal data: counts, ids, checksums and reasons only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nightingale.governance import audit_anchor
from nightingale.governance.models import AuditChainHead, AuditEntry
from nightingale.platform.keystore import KeyStore

GENESIS_HASH = "0" * 64
HEAD_ID = 1
_KEY_CONTEXT = "audit-chain"

__all__ = ["AuditEntry", "VerifyResult", "entries", "record", "verify"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _chain_key(keystore: KeyStore, key_id: str) -> bytes:
    return keystore.derive("audit", _KEY_CONTEXT, key_id=key_id).secret


def _entry_hash(
    keystore: KeyStore, key_id: str, entry: AuditEntry, keys: dict[str, bytes] | None = None
) -> str:
    """The entry's HMAC; ``keys`` caches derived keys by id while walking the chain."""
    cache = {} if keys is None else keys
    if key_id not in cache:
        cache[key_id] = _chain_key(keystore, key_id)
    message = _canonical(
        [
            entry.seq,
            entry.prev_hash,
            entry.recorded_at,
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.details,
            entry.key_id,
        ]
    )
    return hmac.new(cache[key_id], message.encode(), hashlib.sha256).hexdigest()


def _lock_head(session: Session) -> AuditChainHead:
    """Take the chain's write lock, then read the head as it is after every earlier writer."""
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(last_seq=AuditChainHead.last_seq)
    )
    query = select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def record(
    session: Session,
    keystore: KeyStore,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction and return it.

    ``action`` is a dotted verb (``request.approved``); ``details`` holds no personal data.
    """
    key_id = keystore.current("audit").key_id
    head = _lock_head(session)
    entry = AuditEntry(
        seq=head.last_seq + 1,
        recorded_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=_canonical(details),
        key_id=key_id,
        prev_hash=head.last_hash,
        entry_hash="",
    )
    entry.entry_hash = _entry_hash(keystore, key_id, entry)
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.entry_hash
    head.key_id = key_id
    head.head_mac = audit_anchor.head_mac(keystore, key_id, "head-row", entry.seq, entry.entry_hash)
    session.flush()
    audit_anchor.note_append(session, keystore, entry.seq, entry.entry_hash)
    return entry


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain; ``first_broken`` is the seq of the first bad entry."""

    ok: bool
    entries: int
    head_hash: str
    first_broken: int | None = None
    problem: str | None = None
    head_unkeyed: bool = False
    """The only problem is a head row without a key (a database from before g0002, or a
    head rewritten by someone without the key: the head file tells which)."""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries, head {self.head_hash}"
        if self.first_broken is None:
            return f"audit chain BROKEN: {self.problem}"
        return f"audit chain BROKEN at entry {self.first_broken}: {self.problem}"


def verify(session: Session, keystore: KeyStore) -> VerifyResult:
    """Walk the whole chain; report the first entry whose link or hash does not hold.

    Detects edits (hash mismatch), deletions and insertions (sequence gaps or a link that
    does not point at its predecessor), reordering (the sequence number is hashed) and a
    truncated tail (the head row names a later entry than the last one present).
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    keys: dict[str, bytes] = {}
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        count += 1
        if entry.seq != expected_seq:
            return VerifyResult(
                False,
                count,
                expected_prev,
                expected_seq,
                f"entry {expected_seq} is missing (next present entry is {entry.seq})",
            )
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False,
                count,
                expected_prev,
                entry.seq,
                "does not link to the entry before it (deleted, inserted or reordered)",
            )
        try:
            computed = _entry_hash(keystore, entry.key_id, entry, keys)
        except Exception as exc:  # an unknown key id is itself evidence of tampering
            return VerifyResult(False, count, expected_prev, entry.seq, f"cannot verify: {exc}")
        if not hmac.compare_digest(computed, entry.entry_hash):
            return VerifyResult(
                False,
                count,
                expected_prev,
                entry.seq,
                f"content does not match its hash (edited): action {entry.action!r}",
            )
        expected_prev = entry.entry_hash
        expected_seq += 1
    head = session.get(AuditChainHead, HEAD_ID)
    if head is None:
        return VerifyResult(False, count, expected_prev, None, "the chain head row is missing")
    if head.last_seq != count or head.last_hash != expected_prev:
        return VerifyResult(
            False,
            count,
            expected_prev,
            count + 1,
            f"the chain head names entry {head.last_seq} but the log ends at {count} "
            "(entries deleted from the end)",
        )
    problem = _head_key_problem(keystore, head)
    if problem is not None:
        unkeyed = head.head_mac is None or head.key_id is None
        return VerifyResult(False, count, expected_prev, None, problem, head_unkeyed=unkeyed)
    return VerifyResult(True, count, expected_prev)


def _head_key_problem(keystore: KeyStore, head: AuditChainHead) -> str | None:
    """Why the head row's key does not hold, or ``None`` (an empty chain needs none)."""
    if head.head_mac is None or head.key_id is None:
        if head.last_seq == 0:
            return None
        return (
            f"the chain head (entry {head.last_seq}) is not keyed: it was wound back or "
            "rewritten without the audit key, or the database was migrated from before "
            "g0002 and nothing has been audited since ('nightingale audit anchor' keys it)"
        )
    try:
        expected = audit_anchor.head_mac(
            keystore, head.key_id, "head-row", head.last_seq, head.last_hash
        )
    except Exception as exc:  # an unknown key id is itself evidence of tampering
        return f"the chain head cannot be verified: {exc}"
    if not hmac.compare_digest(expected, head.head_mac):
        return (
            f"the chain head (entry {head.last_seq}) does not match its key: it was wound "
            "back or rewritten without the audit key (entries after it may have been deleted)"
        )
    return None


def entries(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    action_prefix: str | None = None,
    limit: int | None = None,
) -> Iterator[AuditEntry]:
    """Entries in chain order, optionally for one object or one family of actions."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    if action_prefix is not None:
        query = query.where(AuditEntry.action.startswith(action_prefix))
    if limit is not None:
        query = query.limit(limit)
    yield from session.scalars(query)


def details_of(entry: AuditEntry) -> dict[str, Any]:
    """An entry's details as a dict."""
    value = json.loads(entry.details)
    return value if isinstance(value, dict) else {"value": value}
