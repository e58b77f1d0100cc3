"""Start and stop the one-machine hub (hub, proxy, governance service) as one unit.

Used by ``nightingale hub``, the end-to-end tests and the workspace benchmark. The hub
runs in its own session (``setsid``) so that stopping it signals the whole process group
— hub, configurable-http-proxy, the service and every single-user server — and nothing
is left behind; it also escapes a non-interactive shell's ignored SIGINT (see
notes/jupyterhub.md).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from nightingale.hub.isolation import UNISOLATED_DEV_FLAG
from nightingale.hub.runtime import (
    CGROUP_PARENT_VARIABLE,
    POLL_SECONDS_VARIABLE,
    SERVICE_NAME,
    HubPaths,
)
from nightingale.platform.database import PACKAGE_ROOT
from nightingale.platform.errors import ConfigurationError, NightingaleError

DEFAULT_CONFIG = PACKAGE_ROOT.parent / "deploy" / "local" / "jupyterhub_config.py"
PROXY = DEFAULT_CONFIG.parent / "node_modules" / ".bin" / "configurable-http-proxy"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class HubProcess:
    """A running hub; use :meth:`start` and always :meth:`stop` (or ``with``)."""

    data_root: Path
    port: int = 8000
    config: Path = DEFAULT_CONFIG
    database_url: str | None = None
    log_path: Path | None = None
    unisolated_dev: bool = False
    """Development only: let servers start without isolation (sets the spawner's flag)."""
    cgroup_parent: str | None = None
    """The cgroup folder for this hub's servers; give each hub on one machine its own."""
    poll_seconds: int | None = None
    """How often the spawner re-checks each server's access (None: the hub's default)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        return f"{self.url}/services/{SERVICE_NAME}/"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            NIGHTINGALE_DATA_ROOT=str(self.data_root.resolve()),
            NIGHTINGALE_HUB_PORT=str(self.port),
            NIGHTINGALE_HUB_API_PORT=str(free_port()),
            NIGHTINGALE_PROXY_API_PORT=str(free_port()),
            NIGHTINGALE_SERVICE_PORT=str(free_port()),
        )
        if self.database_url:
            env["NIGHTINGALE_DATABASE_URL"] = self.database_url
        if self.unisolated_dev:
            env[UNISOLATED_DEV_FLAG] = "1"
        if self.cgroup_parent is not None:
            env[CGROUP_PARENT_VARIABLE] = self.cgroup_parent
        if self.poll_seconds is not None:
            env[POLL_SECONDS_VARIABLE] = str(self.poll_seconds)
        return env

    def start(self, timeout: float = 90.0) -> HubProcess:
        """Start the hub and wait until the proxy answers its health check."""
        if not self.config.is_file():
            raise ConfigurationError(f"hub configuration {self.config} not found")
        if not PROXY.exists():
            raise ConfigurationError(
                f"configurable-http-proxy is not installed ({PROXY}); run 'make proxy'"
            )
        if _port_taken(self.port):
            raise NightingaleError(
                f"port {self.port} is in use on 127.0.0.1; stop what uses it or pass --port"
            )
        paths = HubPaths(self.data_root.resolve())
        paths.ensure()
        log_path = self.log_path or paths.hub / "hub.log"
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "jupyterhub", "-f", str(self.config)],
            cwd=paths.hub,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise NightingaleError(f"the hub exited during start-up; see {log_path}")
            if self._healthy():
                return self
            time.sleep(0.25)
        self.stop()
        raise NightingaleError(f"the hub did not become ready in {timeout:.0f} s; see {log_path}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/hub/health", timeout=2) as reply:  # noqa: S310
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait(self) -> int:
        """Block until the hub exits (Ctrl-C stops it)."""
        assert self.process is not None
        return self.process.wait()

    def stop(self, grace: float = 15.0) -> None:
        """Stop the hub's whole process group: SIGTERM, then SIGKILL after ``grace`` s."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if process is not None:
            # Single-user servers stay in the hub's process group (see the spawner): end
            # any the hub did not stop itself.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> HubProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
