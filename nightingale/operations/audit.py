"""Verify the audit log as a whole, and anchor it outside the platform.

:func:`verify` checks four things and says exactly which one disagrees, and how:

1. the chain in the database: every entry's keyed hash and link, and the keyed head row
   (:func:`nightingale.governance.audit.verify`);
2. the head file under the data root (``audit/head.json``, advanced after every commit
   that audits): correctly signed, and the chain still holds the entry it names;
3. an external anchor, when one is given (written earlier by :func:`anchor` and kept
   elsewhere): the same;
4. the governance tables against the state the log replays to
   (:mod:`nightingale.governance.audit_reconcile`): a row changed outside the
   application is named.

A head file or anchor *behind* the chain is not a disagreement (entries were written
since); one *ahead* of it, or naming another entry, means the log lost or rewrote entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nightingale.governance import audit, audit_reconcile
from nightingale.governance.audit_anchor import (
    AnchorError,
    HeadFile,
    SignedHead,
    compare,
    read_anchor,
    sign,
)
from nightingale.operations.unit import Unit
from nightingale.platform.errors import NightingaleError

__all__ = ["AuditReport", "Finding", "anchor", "head_file", "verify"]


@dataclass(frozen=True)
class Finding:
    """One check's outcome; ``warning`` marks an ``ok`` that deserves a look."""

    check: str
    ok: bool
    message: str
    warning: bool = False
    repairable: bool = False
    """A failure :func:`anchor` may repair (a head not keyed yet, a head file not written
    yet) because the chain itself holds: it is not evidence of lost entries."""


@dataclass(frozen=True)
class AuditReport:
    """Every finding of one verification, and how many entries the chain walk saw."""

    findings: tuple[Finding, ...]
    entries: int

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def failures(self, check: str | None = None) -> list[Finding]:
        return [f for f in self.findings if not f.ok and (check is None or f.check == check)]


def head_file(unit: Unit) -> HeadFile:
    """The data root's head file."""
    return HeadFile.under(unit.root.path)


def _chain(unit: Unit) -> tuple[Finding, int]:
    result = audit.verify(unit.session, unit.keystore)
    repairable = not result.ok and result.head_unkeyed
    return Finding("chain", result.ok, result.describe(), repairable=repairable), result.entries


def _signed(unit: Unit, signed: SignedHead, check: str, label: str) -> Finding:
    found = compare(unit.session, unit.keystore, signed, label)
    if found.ok and found.behind and check == "head file":
        return Finding(
            check,
            True,
            f"{found.message}: they were committed by a process that does not keep the head "
            "file, or it stopped between the commit and the write; until the next audited "
            "action they are protected by the database alone",
            warning=True,
        )
    return Finding(check, found.ok, found.message)


def _head_file(unit: Unit, entries: int) -> Finding:
    kept = head_file(unit)
    try:
        signed = kept.read()
    except AnchorError as exc:
        return Finding("head file", False, str(exc))
    if signed is None:
        if entries == 0:
            return Finding("head file", True, "no head file yet (the log is empty)")
        return Finding(
            "head file",
            False,
            f"there is no head file at {kept.path} although the log has {entries} entries: "
            "it was removed, or nothing has been audited through a unit of work since this "
            "data root was upgraded ('nightingale audit anchor' writes it)",
            repairable=True,
        )
    return _signed(unit, signed, "head file", f"head file {kept.path}")


def _anchor(unit: Unit, path: Path) -> Finding:
    signed = read_anchor(path)
    if signed is None:
        raise AnchorError(f"{path}: no such anchor file")
    return _signed(unit, signed, "anchor", f"anchor {path}")


def _tables(unit: Unit) -> list[Finding]:
    found = audit_reconcile.differences(unit.session)
    if not found:
        return [Finding("tables", True, "the governance tables agree with the audit log")]
    return [Finding("tables", False, d.describe()) for d in found]


def verify(unit: Unit, anchor_path: Path | None = None) -> AuditReport:
    """Check the chain, the head file, the anchor (if given) and the governance tables."""
    chain, entries = _chain(unit)
    findings = [chain, _head_file(unit, entries)]
    if anchor_path is not None:
        findings.append(_anchor(unit, anchor_path))
    findings += _tables(unit)
    return AuditReport(tuple(findings), entries)


class AnchorRefused(NightingaleError):
    """The log already disagrees with itself or its head file: anchoring would bless that."""


def anchor(unit: Unit) -> SignedHead:
    """Record ``audit.anchored`` and return the signed statement of the new head.

    Refuses when the chain or the head file shows lost or rewritten entries (an anchor
    must never vouch for a log that was cut). A head not keyed yet and a missing head file
    (a data root upgraded from before g0002) are repaired by the entry this writes. The
    caller writes the returned anchor only *after* the unit commits, so an anchor never
    names an entry that was rolled back.
    """
    report = verify(unit)
    blocking = [
        f for f in report.failures() if f.check in ("chain", "head file") and not f.repairable
    ]
    if blocking:
        raise AnchorRefused(
            "refusing to anchor an audit log that disagrees with itself: "
            + "; ".join(f.message for f in blocking)
        )
    entry = audit.record(
        unit.session,
        unit.keystore,
        actor=unit.actor,
        action="audit.anchored",
        object_type="audit",
        object_id="chain",
        details={"entries_before": report.entries},
    )
    return sign(unit.keystore, "anchor", entry.seq, entry.entry_hash)
