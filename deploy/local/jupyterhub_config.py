c = get_config()  # noqa: F821 - injected by JupyterHub when it loads this file

"""JupyterHub for Nightingale on one machine: ``nightingale hub`` starts it with this file.

- Login: :class:`GovernanceAuthenticator` (argon2 hashes in the governance database);
  roles and open projects become hub groups.
- Servers: :class:`WorkspaceSpawner`, one per researcher, seeing only the releases the
  governance policy allows, read-only (see nightingale/hub/isolation.py). Servers are
  isolated only when the hub runs as root; otherwise every spawn is refused unless
  ``NIGHTINGALE_HUB_UNISOLATED_DEV=1`` is set (development only, no real data: see
  docs/security.md for what it gives up).
- The governance web service runs as a hub-managed service at /services/governance/,
  behind the hub's OAuth; it is where everyone lands after logging in.

Secrets (cookie secret, proxy token, service token) are generated on first start under
``<data_root>/hub/`` (0600) or taken from the environment; nothing secret is in this file.
Ports come from the environment so tests can run several hubs: see ``nightingale hub``.
"""

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from nightingale.hub.authenticator import GovernanceAuthenticator  # noqa: E402
from nightingale.hub.runtime import (  # noqa: E402
    SERVICE_NAME,
    HubPaths,
    cgroup_parent,
    poll_seconds,
    secret,
)
from nightingale.hub.spawner import WorkspaceSpawner  # noqa: E402
from nightingale.platform.settings import load_settings  # noqa: E402

HERE = Path(__file__).resolve().parent
settings = load_settings()
paths = HubPaths(settings.data_root.resolve())
paths.ensure()


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


public_port = _port("NIGHTINGALE_HUB_PORT", 8000)
public_url = f"http://127.0.0.1:{public_port}"
service_port = _port("NIGHTINGALE_SERVICE_PORT", 10101)

# -- the hub, its proxy and its state ----------------------------------------------------
c.JupyterHub.bind_url = public_url
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{_port('NIGHTINGALE_HUB_API_PORT', 8081)}"
c.JupyterHub.db_url = f"sqlite:///{paths.database}"
c.JupyterHub.cookie_secret = bytes.fromhex(secret(paths, "cookie_secret"))
c.JupyterHub.cookie_max_age_days = 1
c.JupyterHub.cleanup_servers = True
c.JupyterHub.default_url = f"/services/{SERVICE_NAME}/"
c.JupyterHub.template_vars = {
    "announcement_login": "Nightingale: log in with your platform account."
}
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_port('NIGHTINGALE_PROXY_API_PORT', 8001)}"
c.ConfigurableHTTPProxy.auth_token = secret(paths, "proxy_token")
c.ConfigurableHTTPProxy.pid_file = str(paths.pid_file)

# -- who may log in, what their server sees -------------------------------------------------
data_root = str(settings.data_root.resolve())
c.JupyterHub.authenticator_class = GovernanceAuthenticator
c.GovernanceAuthenticator.data_root = data_root
c.JupyterHub.spawner_class = WorkspaceSpawner
c.WorkspaceSpawner.data_root = data_root
c.WorkspaceSpawner.service_url = f"{public_url}/services/{SERVICE_NAME}/"
c.WorkspaceSpawner.poll_interval = poll_seconds()  # $NIGHTINGALE_HUB_POLL_SECONDS, default 10
c.WorkspaceSpawner.cgroup_parent = cgroup_parent()  # $NIGHTINGALE_HUB_CGROUP_PARENT
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.mem_limit = "2G"  # advisory here; enforced by the docker and k8s deployments

# -- the governance service, behind the hub's OAuth ---------------------------------------
service_environment = {"NIGHTINGALE_DATA_ROOT": data_root}
if settings.database_url:
    service_environment["NIGHTINGALE_DATABASE_URL"] = settings.database_url
c.JupyterHub.services = [
    {
        "name": SERVICE_NAME,
        "display": True,
        "url": f"http://127.0.0.1:{service_port}",
        "command": [sys.executable, "-m", "nightingale.web"],
        "api_token": secret(paths, "service_token"),
        "oauth_no_confirm": True,
        "environment": service_environment,
    }
]
c.JupyterHub.load_roles = [
    # Everyone who can log in may use the governance pages; the pages themselves ask
    # the governance policy what each person may do there.
    {"name": "user", "scopes": ["self", f"access:services!service={SERVICE_NAME}"]},
    # A server's own token ($JUPYTERHUB_API_TOKEN) lets the workspace client call the
    # service's API as its owner.
    {
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            f"access:services!service={SERVICE_NAME}",
        ],
    },
]
