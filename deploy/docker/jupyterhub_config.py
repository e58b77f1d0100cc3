c = get_config()  # noqa: F821 - injected by JupyterHub when it loads this file

"""JupyterHub in Docker: DockerSpawner, one container per researcher.

Each container joins the internal ``workspaces`` network (no egress), gets a persistent
home volume, and has exactly the releases the governance policy allows bind-mounted
read-only (decided in ``pre_spawn_hook`` by the same access module the one-machine
spawner uses). Secrets come from the environment (see docker-compose.yml).
"""

import os  # noqa: E402

from nightingale.hub.access import current_access, settings_for  # noqa: E402
from nightingale.hub.authenticator import GovernanceAuthenticator  # noqa: E402

HOST_DATA_ROOT = os.environ["NIGHTINGALE_HOST_DATA_ROOT"]
RELEASES = "/home/jovyan/releases"

c.JupyterHub.bind_url = "http://0.0.0.0:8000"
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
c.JupyterHub.hub_connect_url = "http://hub:8081"
# JupyterHub's own state lives in its own database and role: the governance database's
# application role may not create tables (docker-compose.yml, postgres-roles.sh).
c.JupyterHub.db_url = os.environ["JUPYTERHUB_DB_URL"]
c.JupyterHub.cookie_secret = bytes.fromhex(os.environ["NIGHTINGALE_HUB_COOKIE_SECRET"])
c.JupyterHub.default_url = "/services/governance/"
c.JupyterHub.authenticator_class = GovernanceAuthenticator

c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = "nightingale-singleuser:latest"
c.DockerSpawner.network_name = "nightingale_workspaces"  # internal: true in compose
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True
c.DockerSpawner.mem_limit = "4G"
c.DockerSpawner.cpu_limit = 2.0
c.DockerSpawner.volumes = {"nightingale-home-{username}": "/home/jovyan/work"}
c.DockerSpawner.extra_host_config = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges"]}
c.DockerSpawner.environment = {
    "NIGHTINGALE_RELEASES_DIR": RELEASES,
    "NIGHTINGALE_SERVICE_URL": "http://hub:8000/services/governance/",
}


def mount_releases(spawner):  # type: ignore[no-untyped-def]
    """Refuse without an open project; otherwise mount each allowed release read-only."""
    access = current_access(settings_for(""), spawner.user.name)
    if access is None or not access.may_start_server:
        raise PermissionError(access.refusal_message() if access else "account inactive")
    volumes = {"nightingale-home-{username}": "/home/jovyan/work"}
    for release in access.releases:
        relative = release.path.relative_to(settings_for("").data_root)
        volumes[f"{HOST_DATA_ROOT}/{relative}"] = {
            "bind": f"{RELEASES}/{release.project}/{release.release_id}",
            "mode": "ro",
        }
    spawner.volumes = volumes
    spawner.environment["NIGHTINGALE_PROJECTS"] = ",".join(sorted(access.projects))


c.Spawner.pre_spawn_hook = mount_releases

c.JupyterHub.services = [
    {
        "name": "governance",
        "url": "http://governance:10101",
        "api_token": os.environ["NIGHTINGALE_SERVICE_API_TOKEN"],
        "oauth_client_id": "service-governance",
        "oauth_redirect_uri": "/services/governance/oauth_callback",
        "oauth_no_confirm": True,
        "display": True,
    }
]
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", "access:services!service=governance"]},
    {
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "access:services!service=governance",
        ],
    },
]
