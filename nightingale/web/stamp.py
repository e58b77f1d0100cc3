"""The access cache's freshness check, read on the event loop when that cannot wait.

Every API call first asks whether governance changed since the cache was filled (the
audit log's newest sequence number, :meth:`.AccessCache.stamp`). Through the engine that
is a trip to the thread pool and a pooled connection, and under fifty clients the trip,
not the query, was most of a cached answer's cost. So on SQLite the service keeps one
connection of its own for this one indexed read and runs it directly on the event loop:

- its busy timeout is 0, so it never waits behind a writer (in WAL mode a reader is not
  blocked by a writer at all; if SQLite still answers ``SQLITE_BUSY``, e.g. while a
  checkpoint or recovery holds the file, the read is handed to the thread pool, which
  waits as long as every other query does);
- it is in autocommit and reads the whole answer, so it never holds a snapshot open: each
  read sees every change committed before it, which is what makes a revocation show on
  the very next request;
- if another coroutine is using it (it cannot be, on one event loop, but tests drive the
  app from threads), the read goes to the thread pool too.

On PostgreSQL (or an in-memory SQLite database, which a second connection could not see)
the read is the engine's, in the thread pool: a network round trip must not block the loop.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import anyio.to_thread
from sqlalchemy import Engine

from nightingale.governance.models import AuditEntry
from nightingale.governance.service import today
from nightingale.web.access_cache import AccessCache, Stamp

_NEWEST = f"SELECT max(seq) FROM {AuditEntry.__tablename__}"


def _sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine, or None (another database, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


class StampReader:
    """The stamp for a request: directly on SQLite when it need not wait, else pooled."""

    def __init__(self, cache: AccessCache) -> None:
        self.cache = cache
        self._file = _sqlite_file(cache.engine)
        self._connection: sqlite3.Connection | None = None
        self._busy = threading.Lock()
        self.direct_reads = 0
        """Reads answered on the event loop (the rest went to the thread pool)."""

    @property
    def direct(self) -> bool:
        """Whether reads may be answered without the thread pool (SQLite files only)."""
        return self._file is not None

    async def read(self) -> Stamp:
        """The audit log's newest sequence number and today, as of now."""
        stamp = self.read_now()
        if stamp is not None:
            return stamp
        return await anyio.to_thread.run_sync(self.cache.stamp)

    def read_now(self) -> Stamp | None:
        """The stamp without waiting for anything, or None if that is not possible now."""
        if self._file is None or not self._busy.acquire(blocking=False):
            return None
        try:
            connection = self._connection or self._connect(self._file)
            rows = connection.execute(_NEWEST).fetchall()
        except sqlite3.OperationalError:
            # Busy or locked: never wait here; the thread pool's read waits instead. A
            # broken connection is opened again next time.
            self._close()
            return None
        finally:
            self._busy.release()
        self.direct_reads += 1
        return (int(rows[0][0] or 0), today())

    def close(self) -> None:
        with self._busy:
            self._close()

    def _connect(self, file: Path) -> sqlite3.Connection:
        # mode=rw: never create a file that is not there (the read fails, and falls back).
        uri = f"{file.resolve().as_uri()}?mode=rw"
        connection = sqlite3.connect(
            uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA query_only=1")
        self._connection = connection
        return connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
