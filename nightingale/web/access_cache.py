"""A short per-person cache of what the JSON API asks about a person, dropped on any change.

Notebooks call the API often and each call asked the policy afresh: the person, their
roles, their projects and every release's request, round and project, some twenty
queries for ``/api/releases``. Under fifty clients that work, not the answer, was the
latency. So an answer about one person is reused while all three hold:

- it is younger than ``ttl`` seconds (2 by default);
- the audit log has not grown since it was computed;
- it is still the same day (releases and accreditations expire by date).

The second condition is what keeps revocation prompt. Every change to governance state (a
release revoked, a project closed, a person deactivated or given other roles, a member
removed) is committed together with its audit entry (docs/developers.md, "Audit"), in
whichever process made it: a steward's decision here, ``nightingale enforce`` from cron,
the hub. The next request sees a longer log and computes the answer again, so a revoked
release is never served from the cache. The first condition bounds what the log cannot
see, such as rows changed behind the application's back.

Checking costs one indexed query per request (:meth:`AccessCache.stamp`, on a pooled
connection of its own, no ORM session; on SQLite read on the event loop by
:class:`nightingale.web.stamp.StampReader`). It is read *before* an answer is computed, so an
answer is never older than the stamp it is stored with: a change committed in between
makes the next request's stamp differ, and it computes again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, TypeVar, cast

import anyio.to_thread
from sqlalchemy import Engine

from nightingale.governance.models import AuditEntry
from nightingale.governance.service import today

T = TypeVar("T")
Stamp = tuple[int, date]
"""The audit log's newest sequence number and the day: what a cached answer was true for."""
_NEWEST = f"SELECT max(seq) FROM {AuditEntry.__tablename__}"


@dataclass(frozen=True)
class _Entry:
    stamp: Stamp
    born: float
    value: Any


class AccessCache:
    """Answers about people, each computed once per change of governance state (or ``ttl``)."""

    def __init__(
        self,
        engine: Engine,
        ttl: float = 2.0,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def stamp(self) -> Stamp:
        """The audit log's newest sequence number now, and today."""
        with self.engine.connect() as connection:
            newest = connection.exec_driver_sql(_NEWEST).scalar()
        return (int(newest or 0), today())

    async def answer(self, stamp: Stamp, key: Hashable, compute: Callable[[], T]) -> T:
        """:meth:`get` for the event loop: a fresh answer straight from the dict (no
        thread, no lock), a miss computed in the thread pool, where ``compute`` may
        block on the database."""
        entry = self._entries.get(key)
        if entry is not None and self._fresh(entry, stamp):
            return cast(T, entry.value)
        return await anyio.to_thread.run_sync(partial(self.get, stamp, key, compute))

    def get(self, stamp: Stamp, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for ``key`` if it is fresh at ``stamp``, else ``compute()``'s.

        ``stamp`` must have been read (:meth:`stamp`) before ``compute`` reads anything.
        However many threads ask at once, one computes; what it raises is not cached.
        """
        entry = self._entries.get(key)
        if entry is not None and self._fresh(entry, stamp):
            return cast(T, entry.value)
        with self._lock_for(key):
            # Another thread may have computed it while this one waited.
            entry = self._entries.get(key)
            if entry is not None and self._fresh(entry, stamp):
                return cast(T, entry.value)
            value = compute()
            self._store(key, _Entry(stamp, self._clock(), value))
            return value

    def clear(self) -> None:
        """Forget every answer."""
        with self._guard:
            self._entries.clear()
            self._locks.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _fresh(self, entry: _Entry | None, stamp: Stamp) -> bool:
        return entry is not None and entry.stamp == stamp and self._clock() - entry.born < self.ttl

    def _lock_for(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _store(self, key: Hashable, entry: _Entry) -> None:
        with self._guard:
            current = self._entries.get(key)
            if current is not None and current.stamp > entry.stamp:
                return  # a request from an older snapshot must not replace a newer answer
            if key not in self._entries and len(self._entries) >= self.max_entries:
                oldest = next(iter(self._entries))
                del self._entries[oldest]
                self._locks.pop(oldest, None)
            self._entries[key] = entry
