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
import secrets
from dataclasses import dataclass
from pathlib import Path

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.storage import atomic_write_text

SERVICE_NAME = "governance"
"""The hub-managed service's name: its URL is ``/services/governance/``."""

SECRET_ENVIRONMENT = {
    "cookie_secret": "NIGHTINGALE_HUB_COOKIE_SECRET",
    "proxy_token": "CONFIGPROXY_AUTH_TOKEN",
    "service_token": "NIGHTINGALE_SERVICE_API_TOKEN",
}


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
