"""Failed logins slow down the next attempt, per name *and* per source address.

Guessing one person's password from many addresses is slowed by the name's count;
trying many names from one address (password spraying) by the address's count. Counts
live in the governance database (``gov_login_throttle``), so a restarted hub, or a
second hub process, sees the same pauses: an in-memory counter was reset by a restart.

Neither the name nor the address is stored: each row's key is an HMAC-SHA256 under a
key derived from the audit key (context ``login-throttle``), so the table says nothing
about who tried from where. (Rotating the audit key forgets the counts.)

The rule (:func:`pause_after`): below the threshold nothing happens; from it on, each
further failure pauses that name or address for 1, 2, 4 ... seconds (from
``first_pause_seconds``) up to ``max_pause_seconds``. While paused, a login is refused
without its password being checked. Failures older than ``forget_after_seconds`` are
forgotten; a successful login forgets the name's failures (not the address's: one good
password must not unlock spraying from that address).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from nightingale.governance.models import LoginThrottle
from nightingale.governance.settings import LoginThrottling
from nightingale.platform.keystore import KeyStore

NAME = "name"
SOURCE = "source"


@dataclass(frozen=True)
class Attempt:
    """One login attempt's throttle keys (keyed hashes of the name and the source)."""

    name_key: str
    source_key: str | None

    @classmethod
    def of(cls, keystore: KeyStore, username: str, source: str | None) -> Attempt:
        secret = keystore.derive("audit", "login-throttle").secret

        def keyed(kind: str, value: str) -> str:
            return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

        return cls(keyed(NAME, username), keyed(SOURCE, source) if source else None)

    def counted(self) -> list[tuple[str, str]]:
        found = [(NAME, self.name_key)]
        if self.source_key is not None:
            found.append((SOURCE, self.source_key))
        return found


def pause_after(failures: int, threshold: int, first: int, longest: int) -> int:
    """Seconds a name or address is paused after its ``failures``-th failure: none below
    ``threshold``, then ``first``, doubling with each further failure, at most ``longest``."""
    if failures < threshold:
        return 0
    return int(min(first * 2 ** min(failures - threshold, 30), longest))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def paused_for(session: Session, attempt: Attempt, now: datetime) -> float:
    """Seconds until ``attempt`` may be tried (0: now); the longer of name and source."""
    waits = [0.0]
    for _kind, key in attempt.counted():
        row = session.get(LoginThrottle, key)
        if row is not None and row.blocked_until is not None:
            waits.append((_aware(row.blocked_until) - now).total_seconds())
    return max(waits)


def record_failure(
    session: Session, attempt: Attempt, rules: LoginThrottling, now: datetime
) -> None:
    """Count a failed login against the name and the source (in the caller's transaction)."""
    for kind, key in attempt.counted():
        threshold = rules.name_failures if kind == NAME else rules.source_failures
        row = session.get(LoginThrottle, key, with_for_update=True)
        forget = timedelta(seconds=rules.forget_after_seconds)
        if row is None:
            row = LoginThrottle(key=key, kind=kind, failures=0, last_failure_at=now)
            session.add(row)
        elif _aware(row.last_failure_at) + forget < now and (
            row.blocked_until is None or _aware(row.blocked_until) <= now
        ):
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        pause = pause_after(
            row.failures, threshold, rules.first_pause_seconds, rules.max_pause_seconds
        )
        row.blocked_until = now + timedelta(seconds=pause) if pause else None
    session.flush()


def record_success(session: Session, attempt: Attempt) -> None:
    """A good password forgets the name's failures (the source's stay)."""
    row = session.get(LoginThrottle, attempt.name_key)
    if row is not None:
        session.delete(row)
        session.flush()
