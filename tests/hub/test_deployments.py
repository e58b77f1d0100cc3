"""The production deployments (Docker, Kubernetes) and the local hub config, checked as files.

Docker and Kubernetes cannot run here, so these tests read the files and check every
setting security depends on; the Python configs are executed for real (with
``get_config`` supplied) and the Docker release-mount hook runs against a real
governance database.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from nightingale.hub.launcher import HubProcess
from nightingale.platform.settings import Settings
from tests.workspace_world import build_world

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _load_config(path: Path) -> Config:
    config = Config()
    namespace: dict[str, Any] = {"get_config": lambda: config, "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return config


def test_compose_keeps_workspaces_off_the_internet_and_secrets_out_of_the_file() -> None:
    compose = yaml.safe_load((DEPLOY / "docker/docker-compose.yml").read_text())
    assert compose["networks"]["workspaces"]["internal"] is True
    assert set(compose["services"]) == {"postgres", "migrate", "hub", "governance"}
    assert compose["services"]["hub"]["ports"] == ["127.0.0.1:8000:8000"]
    for service in compose["services"].values():
        for name, value in service.get("environment", {}).items():
            if re.search("PASSWORD|SECRET|TOKEN", name):
                assert str(value).startswith("${"), f"{name} must come from the environment"


def test_compose_runs_the_platform_as_the_insert_only_application_role() -> None:
    """Only the one-shot migrate service holds the owner's URL; it migrates, then grants
    the application role, which the hub and the service use (issue #20 item 3)."""
    services = yaml.safe_load((DEPLOY / "docker/docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert "nightingale_owner:" in migrate["environment"]["NIGHTINGALE_DATABASE_URL"]
    assert "nightingale init && nightingale audit grant-app-role nightingale_app" in " ".join(
        migrate["command"]
    )
    for name in ("hub", "governance"):
        service = services[name]
        assert "nightingale_app:" in service["environment"]["NIGHTINGALE_DATABASE_URL"]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert "owner" not in " ".join(str(v) for v in service["environment"].values())
    assert "jupyterhub:" in services["hub"]["environment"]["JUPYTERHUB_DB_URL"]
    roles = (DEPLOY / "docker/postgres-roles.sh").read_text()
    for statement in (
        "CREATE DATABASE nightingale OWNER nightingale_owner",
        "CREATE ROLE nightingale_app LOGIN",
        "GRANT CONNECT ON DATABASE nightingale TO nightingale_app",
    ):
        assert statement in roles


def test_kubernetes_runs_the_platform_as_the_application_role_and_migrates_as_the_owner() -> None:
    values = yaml.safe_load((DEPLOY / "k8s/values.yaml").read_text())
    hub_url = values["hub"]["extraEnv"]["NIGHTINGALE_DATABASE_URL"]["valueFrom"]
    assert hub_url["secretKeyRef"]["key"] == "app-database-url"
    assert values["hub"]["db"]["url"].endswith("/jupyterhub")
    deployment, _service = yaml.safe_load_all((DEPLOY / "k8s/governance-service.yaml").read_text())
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["NIGHTINGALE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == (
        "app-database-url"
    )
    job = yaml.safe_load((DEPLOY / "k8s/migrate-job.yaml").read_text())
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "nightingale audit grant-app-role nightingale_app" in " ".join(container["command"])
    job_env = {e["name"]: e for e in container["env"]}
    assert job_env["NIGHTINGALE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == (
        "owner-database-url"
    )


def test_docker_hub_spawns_locked_down_containers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIGHTINGALE_HOST_DATA_ROOT", "/srv/host/nightingale")
    monkeypatch.setenv("NIGHTINGALE_DATABASE_URL", "postgresql://u@db/n")
    monkeypatch.setenv("JUPYTERHUB_DB_URL", "postgresql+psycopg://jupyterhub@db/jupyterhub")
    monkeypatch.setenv("NIGHTINGALE_HUB_COOKIE_SECRET", "00" * 32)
    monkeypatch.setenv("NIGHTINGALE_SERVICE_API_TOKEN", "t")
    config = _load_config(DEPLOY / "docker/jupyterhub_config.py")
    spawner = config.DockerSpawner
    assert config.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    assert spawner.network_name.endswith("workspaces")
    assert spawner.remove is True
    assert spawner.extra_host_config["cap_drop"] == ["ALL"]
    assert "no-new-privileges" in spawner.extra_host_config["security_opt"]
    assert spawner.mem_limit and spawner.cpu_limit


def test_docker_mounts_exactly_the_allowed_releases_read_only(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(settings)
    mine = world.released("dfh-pilot", by="rita")
    world.released("other-study", by="ray")
    monkeypatch.setenv("NIGHTINGALE_DATA_ROOT", str(settings.data_root))
    monkeypatch.setenv("NIGHTINGALE_HOST_DATA_ROOT", "/srv/host/nightingale")
    monkeypatch.setenv("NIGHTINGALE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("JUPYTERHUB_DB_URL", "sqlite://")
    monkeypatch.setenv("NIGHTINGALE_HUB_COOKIE_SECRET", "00" * 32)
    monkeypatch.setenv("NIGHTINGALE_SERVICE_API_TOKEN", "t")
    hook = _load_config(DEPLOY / "docker/jupyterhub_config.py").Spawner.pre_spawn_hook
    spawner = SimpleNamespace(user=SimpleNamespace(name="rita"), volumes={}, environment={})
    hook(spawner)
    mounts = {k: v for k, v in spawner.volumes.items() if isinstance(v, dict)}
    assert mounts == {
        f"/srv/host/nightingale/projects/dfh-pilot/releases/{mine}": {
            "bind": f"/home/jovyan/releases/dfh-pilot/{mine}",
            "mode": "ro",
        }
    }
    nora = SimpleNamespace(user=SimpleNamespace(name="nora"), volumes={}, environment={})
    with pytest.raises(PermissionError, match="not a member of any active project"):
        hook(nora)


def test_kubernetes_values_block_egress_and_mount_releases_read_only() -> None:
    values = yaml.safe_load((DEPLOY / "k8s/values.yaml").read_text())
    single = values["singleuser"]
    assert single["networkPolicy"]["enabled"] is True
    assert single["networkPolicy"]["egress"] == []
    assert not any(single["networkPolicy"]["egressAllowRules"].values())
    assert single["allowPrivilegeEscalation"] is False
    assert all(v["persistentVolumeClaim"]["readOnly"] for v in single["storage"]["extraVolumes"])
    assert '"readOnly": True' in values["hub"]["extraConfig"]["nightingale-releases"]
    assert values["cull"]["enabled"] is True
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"].endswith(
        "GovernanceAuthenticator"
    )


def test_the_extra_network_policy_allows_egress_only_to_the_hub_and_proxy() -> None:
    policy = yaml.safe_load((DEPLOY / "k8s/networkpolicy.yaml").read_text())
    assert "Egress" in policy["spec"]["policyTypes"]
    targets = [
        rule["podSelector"]["matchLabels"]["component"]
        for rule in policy["spec"]["egress"][0]["to"]
    ]
    assert sorted(targets) == ["hub", "proxy"]
    assert all("ipBlock" not in rule for rule in policy["spec"]["egress"][0]["to"])


def test_the_governance_service_runs_unprivileged() -> None:
    deployment, service = yaml.safe_load_all((DEPLOY / "k8s/governance-service.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert service["spec"]["ports"][0]["port"] == 10101


def test_the_local_hub_uses_governance_login_the_workspace_spawner_and_generated_secrets(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIGHTINGALE_DATA_ROOT", str(settings.data_root))
    config = _load_config(DEPLOY / "local/jupyterhub_config.py")
    assert config.JupyterHub.authenticator_class.__name__ == "GovernanceAuthenticator"
    assert config.JupyterHub.spawner_class.__name__ == "WorkspaceSpawner"
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert [s["name"] for s in config.JupyterHub.services] == ["governance"]
    secret_file = settings.data_root / "hub" / "cookie_secret.secret"
    assert config.JupyterHub.cookie_secret == bytes.fromhex(secret_file.read_text().strip())
    assert secret_file.stat().st_mode & 0o077 == 0


def test_the_local_hub_polls_every_10_s_in_the_default_cgroup_unless_told_otherwise(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIGHTINGALE_DATA_ROOT", str(settings.data_root))
    config = _load_config(DEPLOY / "local/jupyterhub_config.py")
    assert config.WorkspaceSpawner.poll_interval == 10
    assert config.WorkspaceSpawner.cgroup_parent == "nightingale"

    # Two hubs on one machine (parallel test workers) each get their own cgroup folder.
    monkeypatch.setenv("NIGHTINGALE_HUB_POLL_SECONDS", "1")
    monkeypatch.setenv("NIGHTINGALE_HUB_CGROUP_PARENT", "nightingale-test-1")
    config = _load_config(DEPLOY / "local/jupyterhub_config.py")
    assert config.WorkspaceSpawner.poll_interval == 1
    assert config.WorkspaceSpawner.cgroup_parent == "nightingale-test-1"


def test_the_launcher_passes_its_cgroup_parent_and_poll_interval_to_the_hub(
    tmp_path: Path,
) -> None:
    hub = HubProcess(tmp_path, port=8123, cgroup_parent="nightingale-w1", poll_seconds=2)
    environment = hub.environment()
    assert environment["NIGHTINGALE_HUB_CGROUP_PARENT"] == "nightingale-w1"
    assert environment["NIGHTINGALE_HUB_POLL_SECONDS"] == "2"
