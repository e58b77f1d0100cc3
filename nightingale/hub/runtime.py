"""The hub's folders and secrets under the data root.

Everything the one-machine hub needs at run time lives in ``<data_root>/hub/`` (0700):
its own SQLite state, the cookie secret, the proxy's auth token and the governance
service's API token. Secrets are generated on first start with :mod:`secrets` and
written 0600; they are never committed, and an environment variable of the same
purpose (``JUPYTERHUB_CRYPT_KEY``-style, see :data:`SECRET_ENVIRONMENT`) overrides the
file so container deployments can inject them.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nightingale.hub.processes import DEFAULT_PARENT
from nightingale.platform.errors import ConfigurationError
from nightingale.platform.storage import atomic_write_text

SERVICE_NAME = "governance"
"""The hub-managed service's name: its URL is ``/services/governance/``."""

SAFE_CGROUP_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")

SECRET_ENVIRONMENT = {
    "cookie_secret": "NIGHTINGALE_HUB_COOKIE_SECRET",
    "proxy_token": "CONFIGPROXY_AUTH_TOKEN",
    "service_token": "NIGHTINGALE_SERVICE_API_TOKEN",
}


POLL_SECONDS_VARIABLE = "NIGHTINGALE_HUB_POLL_SECONDS"
"""How often (seconds) the spawner re-asks the policy about each running server."""

CGROUP_PARENT_VARIABLE = "NIGHTINGALE_HUB_CGROUP_PARENT"
"""The cgroup folder holding this hub's servers (see :mod:`.processes`)."""

DEFAULT_POLL_SECONDS = 10
POLL_SECONDS_RANGE = (1, 300)


def poll_seconds(environ: Mapping[str, str] = os.environ) -> int:
    """The spawner's poll interval: $NIGHTINGALE_HUB_POLL_SECONDS, 1-300, default 10.

    It bounds how long a server keeps a revoked release mounted. Shorter costs one policy
    query per running server per poll; the end-to-end tests use 1 s so a revocation is
    seen at once. A bad value stops the hub at start-up rather than being guessed at.
    """
    raw = environ.get(POLL_SECONDS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_POLL_SECONDS
    low, high = POLL_SECONDS_RANGE
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigurationError(
            f"{POLL_SECONDS_VARIABLE}={raw!r}: give a whole number of seconds from {low} to {high}"
        )
    return value


def cgroup_parent(environ: Mapping[str, str] = os.environ) -> str:
    """The cgroup folder for this hub's servers: $NIGHTINGALE_HUB_CGROUP_PARENT or the default.

    Two hubs on one machine (parallel test workers) must not share it: each ends every
    process in ``<parent>/<user>`` when that user's server stops, so a shared parent would
    let one hub kill the other's server of the same username.
    """
    value = environ.get(CGROUP_PARENT_VARIABLE, "").strip() or DEFAULT_PARENT
    if not SAFE_CGROUP_NAME.match(value):
        raise ConfigurationError(
            f"{CGROUP_PARENT_VARIABLE}={value!r}: use letters, digits, '.', '_' or '-' only"
        )
    return value


@dataclass(frozen=True)
class HubPaths:
    """Where the hub keeps its state and where researchers' homes live."""

    data_root: Path

    @property
    def hub(self) -> Path:
        return self.data_root / "hub"

    @property
    def database(self) -> Path:
        return self.hub / "jupyterhub.sqlite"

    @property
    def pid_file(self) -> Path:
        return self.hub / "jupyterhub-proxy.pid"

    @property
    def homes(self) -> Path:
        """Researchers' persistent homes, one folder per hub user."""
        return self.data_root / "workspaces" / "homes"

    def home(self, username: str) -> Path:
        return self.homes / username

    def ensure(self) -> None:
        """Create the hub and homes folders, private to the hub's user."""
        for folder in (self.hub, self.homes):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def secret(paths: HubPaths, purpose: str) -> str:
    """The secret for ``purpose`` from its environment variable, else its 0600 file.

    Generated (256 bits, hex) on first use. A file readable by others is refused rather
    than used: a leaked cookie secret lets anyone forge hub sessions.
    """
    if purpose not in SECRET_ENVIRONMENT:
        raise ValueError(f"unknown hub secret {purpose!r}")
    from_environment = os.environ.get(SECRET_ENVIRONMENT[purpose])
    if from_environment:
        return from_environment
    path = paths.hub / f"{purpose}.secret"
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise ConfigurationError(f"{path} is readable by others; chmod 600 it or delete it")
        return path.read_text().strip()
    paths.hub.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    atomic_write_text(path, value + "\n", mode=0o600)
    return value
