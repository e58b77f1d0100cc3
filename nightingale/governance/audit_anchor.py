"""The audit chain's head outside the database: a signed head file and external anchors.

The keyed head row stops a bare rewind (nobody without the audit key can key a new
head), but someone with database access can still save a head row, let more entries be
written, delete them and put the saved row back. What they cannot reach is the data
root: after every commit that appended entries, the new head (sequence number and entry
hash) is written to ``<data_root>/audit/head.json``, signed with a key derived from the
audit key, atomically, and only ever forwards. An operator can also export the same
statement with ``nightingale audit anchor --out FILE`` and keep it elsewhere (another
machine, write-once storage, another organisation). Verification then checks that the
chain still holds, at each anchor's sequence number, the entry hash the anchor recorded.

How the head file follows the chain: :func:`keep_head_file` ties a database engine to a
head file (the unit of work does this for every operation, the web service for its
engine); :func:`note_append` (called by :func:`nightingale.governance.audit.record`)
remembers the session's newest head, and after the session commits the head file is
advanced. A head file that no longer agrees with the chain (the log was cut back or
rewritten) is never overwritten: the evidence stays until an operator looks at it.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import weakref
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.orm import Session

from nightingale.governance.models import AuditEntry
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import atomic_write_json

FORMAT = "nightingale-audit-head/1"
HEAD_FILE = Path("audit") / "head.json"
"""Where the head file lives, relative to the data root."""

Kind = Literal["head-row", "head-file", "anchor"]
_KEY_CONTEXT = "audit-head"
_PENDING = "nightingale.audit.pending_head"
log = logging.getLogger(__name__)

__all__ = [
    "AnchorError",
    "Comparison",
    "HeadFile",
    "SignedHead",
    "compare",
    "head_mac",
    "keep_head_file",
    "note_append",
    "read_anchor",
    "sign",
    "signature_ok",
    "write_anchor",
]


class AnchorError(NightingaleError):
    """A head file or anchor that cannot be read as one."""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def head_mac(
    keystore: KeyStore, key_id: str, kind: Kind, seq: int, head_hash: str, signed_at: str = ""
) -> str:
    """HMAC-SHA256 of a statement "the chain's head is entry ``seq`` with ``head_hash``".

    ``kind`` separates the head row, the head file and exported anchors, so one can never
    be passed off as another. Raises when the keystore does not hold ``key_id``.
    """
    key = keystore.derive("audit", _KEY_CONTEXT, key_id=key_id).secret
    message = _canonical([kind, seq, head_hash, key_id, signed_at])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedHead:
    """A signed statement of the chain's head, kept outside the database."""

    kind: Kind
    seq: int
    head_hash: str
    key_id: str
    signed_at: str
    mac: str

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, value: object, source: str) -> SignedHead:
        """Parse what :meth:`as_json` wrote; :class:`AnchorError` names ``source``."""
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            raise AnchorError(f"{source}: not a Nightingale audit head ({FORMAT})")
        try:
            signed = cls(
                kind=value["kind"],
                seq=value["seq"],
                head_hash=value["head_hash"],
                key_id=value["key_id"],
                signed_at=value["signed_at"],
                mac=value["mac"],
            )
        except KeyError as exc:
            raise AnchorError(f"{source}: field {exc.args[0]!r} is missing") from exc
        if signed.kind not in ("head-file", "anchor"):
            raise AnchorError(f"{source}: kind {signed.kind!r} is not head-file or anchor")
        if not isinstance(signed.seq, int) or signed.seq < 1:
            raise AnchorError(f"{source}: seq must be a positive whole number")
        for name in ("head_hash", "key_id", "signed_at", "mac"):
            if not isinstance(getattr(signed, name), str):
                raise AnchorError(f"{source}: {name} must be text")
        return signed


def sign(keystore: KeyStore, kind: Kind, seq: int, head_hash: str) -> SignedHead:
    """Sign "the head is entry ``seq`` with ``head_hash``" with the current audit key."""
    key_id = keystore.current("audit").key_id
    signed_at = datetime.now(UTC).isoformat(timespec="seconds")
    mac = head_mac(keystore, key_id, kind, seq, head_hash, signed_at)
    return SignedHead(kind, seq, head_hash, key_id, signed_at, mac)


def signature_ok(keystore: KeyStore, signed: SignedHead) -> bool:
    """Whether ``signed`` was signed with this platform's audit key (any version)."""
    try:
        expected = head_mac(
            keystore, signed.key_id, signed.kind, signed.seq, signed.head_hash, signed.signed_at
        )
    except Exception:  # an unknown or malformed key id: not signed by this platform
        return False
    return hmac.compare_digest(expected, signed.mac)


def read_anchor(path: Path) -> SignedHead | None:
    """The signed head in ``path``; ``None`` when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnchorError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    return SignedHead.from_json(value, str(path))


def write_anchor(path: Path, signed: SignedHead) -> None:
    """Write an exported anchor atomically (it holds no secret: a hash and a MAC)."""
    atomic_write_json(path, signed.as_json(), mode=0o640)


@dataclass(frozen=True)
class Comparison:
    """How one signed head agrees with the chain in the database."""

    ok: bool
    message: str
    behind: int = 0
    """Entries the chain holds after the signed head (a lag, not a disagreement)."""


def _chain_length(session: Session) -> int:
    """The sequence number of the last entry present (0 for an empty log)."""
    return int(session.scalar(select(func.max(AuditEntry.seq))) or 0)


def compare(session: Session, keystore: KeyStore, signed: SignedHead, label: str) -> Comparison:
    """Does the chain still hold, at ``signed.seq``, the entry hash ``signed`` recorded?

    A chain *longer* than the signed head is fine (entries written since); a shorter
    chain, or another entry at that sequence number, means entries were removed or the
    log was rewritten after ``label`` was signed.
    """
    if not signature_ok(keystore, signed):
        return Comparison(
            False,
            f"the {label}'s signature does not verify: it was edited, or not signed with "
            f"this platform's audit key ({signed.key_id})",
        )
    length = _chain_length(session)
    if length < signed.seq:
        lost = (
            f"entry {signed.seq} was"
            if length + 1 == signed.seq
            else f"entries {length + 1}-{signed.seq} were"
        )
        return Comparison(
            False,
            f"the {label} names entry {signed.seq} but the log ends at entry {length}: "
            f"{lost} removed after {signed.signed_at}",
        )
    found = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == signed.seq))
    if found != signed.head_hash:
        return Comparison(
            False,
            f"entry {signed.seq} is not the entry the {label} recorded at {signed.signed_at}: "
            "the log was rewritten from there on",
        )
    after = length - signed.seq
    tail = f"; {after} entr{'y' if after == 1 else 'ies'} written since" if after else ""
    return Comparison(True, f"the {label} agrees (entry {signed.seq}){tail}", behind=after)


class HeadFile:
    """``<data_root>/audit/head.json``: the newest committed head, signed, forwards only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def under(cls, data_root: Path) -> HeadFile:
        return cls(data_root / HEAD_FILE)

    def __repr__(self) -> str:
        return f"HeadFile({str(self.path)!r})"

    def read(self) -> SignedHead | None:
        """The head file's statement, ``None`` when it does not exist yet."""
        return read_anchor(self.path)

    def agrees_before_append(self, session: Session, keystore: KeyStore, chain_seq: int) -> bool:
        """Whether the chain as it stands (``chain_seq`` entries) still holds this file's head.

        Asked inside the appending transaction, under the chain lock: a file that says
        more than the chain holds, or another entry at its sequence number, is evidence
        of a cut or rewritten log and must not be overwritten by the next append.
        """
        try:
            signed = self.read()
        except AnchorError:
            return False
        if signed is None:
            return True
        if not signature_ok(keystore, signed) or signed.seq > chain_seq:
            return False
        found = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == signed.seq))
        return found == signed.head_hash

    def advance(self, keystore: KeyStore, seq: int, head_hash: str) -> bool:
        """Write the head ``seq`` unless the file already names a later one; True if written.

        Writers in several processes take an exclusive lock on ``head.lock`` beside the
        file; a commit that lost the race to a later one leaves the later head in place.
        """
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(folder / "head.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self.read()
            except AnchorError:
                log.error("audit head file %s is unreadable; not overwritten", self.path)
                return False
            if current is not None and current.seq >= seq:
                return False
            signed = sign(keystore, "head-file", seq, head_hash)
            atomic_write_json(self.path, signed.as_json(), mode=0o600)
            return True
        finally:
            os.close(lock)  # closing releases the lock


# -- keeping the head file in step with commits ---------------------------------------------

_head_files: weakref.WeakKeyDictionary[Engine, HeadFile] = weakref.WeakKeyDictionary()


@dataclass
class _Pending:
    head_file: HeadFile
    keystore: KeyStore
    agrees: bool
    seq: int = 0
    head_hash: str = ""


def _engine_of(session: Session) -> Engine | None:
    try:
        bind = session.get_bind()
    except Exception:  # an unbound session has no head file
        return None
    return bind.engine if isinstance(bind, Connection) else bind


def keep_head_file(bind: Engine | Connection, head_file: HeadFile) -> None:
    """Advance ``head_file`` after every commit, on ``bind``, that appended audit entries."""
    engine = bind.engine if isinstance(bind, Connection) else bind
    _head_files[engine] = head_file


def head_file_for(session: Session) -> HeadFile | None:
    """The head file kept for this session's database, if any."""
    engine = _engine_of(session)
    return None if engine is None else _head_files.get(engine)


def note_append(session: Session, keystore: KeyStore, seq: int, head_hash: str) -> None:
    """Remember the session's newest head (called by ``audit.record`` under the chain lock)."""
    pending = session.info.get(_PENDING)
    if pending is None:
        head_file = head_file_for(session)
        if head_file is None:
            return
        agrees = head_file.agrees_before_append(session, keystore, seq - 1)
        pending = _Pending(head_file, keystore, agrees)
        session.info[_PENDING] = pending
    pending.seq, pending.head_hash = seq, head_hash


@event.listens_for(Session, "after_commit")
def _advance_after_commit(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    if not pending.agrees:
        log.error(
            "audit head file %s no longer agrees with the audit log in the database; it is "
            "left as it is for review: run 'nightingale audit verify'",
            pending.head_file.path,
        )
        return
    try:
        pending.head_file.advance(pending.keystore, pending.seq, pending.head_hash)
    except OSError:
        # The entries are committed; a head file left behind shows as a lag in verify.
        log.exception("could not write the audit head file %s", pending.head_file.path)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
