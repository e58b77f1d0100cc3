"""How the service is sized: threads, database connections, the access cache, the limits.

The routes are plain ``def`` functions doing blocking database work, so Starlette runs
them in its thread pool and the event loop stays free to accept and answer other requests.
Each such request holds at most one database connection, so the connection pool is sized
to the thread pool: no thread ever waits for a connection that another thread could not
hand back soon. Everything here can be set from the environment the hub gives the service
(``NIGHTINGALE_SERVICE_*``; docs/operator.md, "Tuning the governance service").

One process only: the hub's OAuth state of a login in progress is held in the process
that started it, so a second worker would refuse the callback of half the logins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from nightingale.platform.errors import ConfigurationError

ENV_PREFIX = "NIGHTINGALE_SERVICE_"


@dataclass(frozen=True)
class ServiceTuning:
    """The service's sizes; the defaults carry 200 concurrent API clients on two cores."""

    threads: int = 40
    """Requests doing database work at once (Starlette's thread pool)."""
    pool_size: int = 20
    """Database connections kept open."""
    pool_overflow: int = 20
    """Further connections opened under load (``pool_size + pool_overflow >= threads``)."""
    pool_timeout: float = 10.0
    """Seconds a request waits for a connection before it is answered 503 (busy)."""
    access_cache_seconds: float = 2.0
    """How long a person's access may be reused while the audit log has not grown."""
    max_connections: int = 1000
    """Open client connections before uvicorn answers 503 (shed load, do not fall over)."""
    backlog: int = 2048
    """Connections the kernel queues before the service accepts them."""

    def __post_init__(self) -> None:
        if min(self.threads, self.pool_size, self.max_connections, self.backlog) < 1:
            raise ConfigurationError("service threads, pool, connections and backlog must be >= 1")
        if self.pool_overflow < 0 or self.pool_timeout <= 0 or self.access_cache_seconds < 0:
            raise ConfigurationError(
                "service pool overflow and cache seconds must be >= 0, the pool timeout > 0"
            )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ServiceTuning:
        """The tuning from ``NIGHTINGALE_SERVICE_<FIELD>`` variables (defaults otherwise)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            name = ENV_PREFIX + item.name.upper()
            if name not in environ:
                continue
            kind = float if item.type in ("float", float) else int
            try:
                values[item.name] = kind(environ[name])
            except ValueError as exc:
                raise ConfigurationError(f"{name}={environ[name]!r} is not a number") from exc
        return cls(**values)

    def pool_options(self, database_url: str) -> dict[str, Any]:
        """``create_engine`` options sizing the connection pool (none for in-memory SQLite).

        A SQLite file's connections never go stale, so they are not pinged before use (a
        second statement per request); PostgreSQL's still are (a server may drop them).
        """
        if database_url in ("sqlite://", "sqlite:///:memory:"):
            return {}
        options: dict[str, Any] = {
            "pool_size": self.pool_size,
            "max_overflow": self.pool_overflow,
            "pool_timeout": self.pool_timeout,
        }
        if database_url.startswith("sqlite"):
            options["pool_pre_ping"] = False
        return options
