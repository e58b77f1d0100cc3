"""Start each researcher's server on this machine with only their releases, read-only.

:class:`WorkspaceSpawner` asks the workspace operation (through :mod:`.access`; the
governance policy decides) which projects are open to the person and which releases they
may read, refuses to start with the policy's reason when there is nothing open, and
otherwise starts ``jupyterhub-singleuser``:

- as root (the supported one-machine set-up) inside a private mount namespace built by
  :mod:`.isolation`: the person's own uid, their projects' groups, their persistent home
  at ``/home/<name>`` and each release bind-mounted read-only under ``~/releases``;
- otherwise it refuses to start anything (fail closed): an unisolated server would run as
  the hub's own user, able to read the keys, the identifier zone, the cookie secret and
  the database. Only with the development flag ``NIGHTINGALE_HUB_UNISOLATED_DEV=1``
  (:attr:`WorkspaceSpawner.allow_unisolated`) does it start one anyway, as the hub's own
  user with the releases linked into the home and made read-only with ``chmod a-w``,
  which protects against mistakes only; every such start logs a loud warning.

Every ``poll_interval`` seconds the policy is asked again; when a release the server was
started with is revoked or expired, or the person loses their last open project, the
server is stopped, which removes its mounts.

Real isolation (separate kernels per user, no network egress, CPU and memory limits) is
the job of the docker (DockerSpawner) and Kubernetes (KubeSpawner) deployments.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from subprocess import Popen

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import random_port
from tornado import web
from traitlets import Bool, Unicode, default

from nightingale.hub import isolation
from nightingale.hub.access import current_access, settings_for
from nightingale.hub.runtime import HubPaths
from nightingale.operations.workspace import WorkspaceAccess

RELEASES_FOLDER = "releases"
JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter"
"""Jupyter config for every server: JupyterLab offline (no news, update checks or installs)."""


def _refusal(status: int, message: str) -> web.HTTPError:
    """An HTTP error whose ``message`` the person reads on JupyterHub's error page."""
    refusal = web.HTTPError(status, message)
    # JupyterHub's error page shows ``jupyterhub_message`` instead of its generic
    # "failed to start" text.
    refusal.jupyterhub_message = message  # type: ignore[attr-defined]
    return refusal


class WorkspaceSpawner(LocalProcessSpawner):  # type: ignore[misc]
    """A one-machine spawner whose servers see only the releases the policy allows."""

    data_root = Unicode(
        "", help="Nightingale data root; empty means $NIGHTINGALE_DATA_ROOT or ./var."
    ).tag(config=True)

    service_url = Unicode(
        "",
        help="URL of the governance service as seen from a server "
        "(NIGHTINGALE_SERVICE_URL for the workspace client).",
    ).tag(config=True)

    isolate = Bool(
        help="Run each server under its own uid in a private mount namespace "
        "(needs root; default: on when the hub is root).",
    ).tag(config=True)

    @default("isolate")
    def _default_isolate(self) -> bool:
        return isolation.can_isolate()

    allow_unisolated = Bool(
        help="Development only: start servers even when they cannot be isolated, as the "
        "hub's own user (they can then read the whole data root). Default: on only when "
        f"${isolation.UNISOLATED_DEV_FLAG}=1.",
    ).tag(config=True)

    @default("allow_unisolated")
    def _default_allow_unisolated(self) -> bool:
        return isolation.unisolated_dev_allowed()

    @default("poll_interval")
    def _default_poll_interval(self) -> int:
        return 10

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return [sys.executable, "-m", "jupyterhub.singleuser"]

    @default("default_url")
    def _default_default_url(self) -> str:
        return "/lab"

    _mounted: tuple[tuple[str, str], ...] | None = None
    _staging: str | None = None
    _access: WorkspaceAccess | None = None
    _revoking: bool = False

    # -- what the person may see -------------------------------------------------------

    async def _current(self) -> WorkspaceAccess | None:
        return await asyncio.to_thread(current_access, settings_for(self.data_root), self.user.name)

    def _paths(self) -> HubPaths:
        return HubPaths(settings_for(self.data_root).data_root.resolve())

    @property
    def home(self) -> str:
        """Home as the server sees it."""
        if self.isolate:
            return f"/home/{self.user.name}"
        return str(self._paths().home(self.user.name))

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.user.name
        env["HOME"] = self.home
        env["SHELL"] = "/bin/sh"
        return env

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        access = self._access
        if access is not None:
            env["NIGHTINGALE_PROJECTS"] = ",".join(sorted(access.projects))
            if len(access.projects) == 1:
                env["NIGHTINGALE_PROJECT"] = next(iter(access.projects))
        env["NIGHTINGALE_RELEASES_DIR"] = f"{self.home}/{RELEASES_FOLDER}"
        # JupyterLab must not reach out to the internet from a research workspace.
        env["JUPYTER_CONFIG_PATH"] = str(JUPYTER_CONFIG)
        if self.service_url:
            env["NIGHTINGALE_SERVICE_URL"] = self.service_url
        # The server must not find the platform's own settings or data root.
        for name in ("NIGHTINGALE_DATA_ROOT", "NIGHTINGALE_DATABASE_URL"):
            env.pop(name, None)
        return env

    # -- starting -----------------------------------------------------------------------

    def _prepare_home(self, access: WorkspaceAccess) -> Path:
        paths = self._paths()
        paths.ensure()
        home = paths.home(self.user.name)
        home.mkdir(mode=0o700, exist_ok=True)
        if self.isolate:
            uid = isolation.UID_BASE + access.person_id
            os.chown(home, uid, uid)
        return home

    def _command_isolated(self, access: WorkspaceAccess, home: Path) -> list[str]:
        uid = isolation.UID_BASE + access.person_id
        mounts = []
        for release in access.releases:
            isolation.share_release_with_group(
                release.path, isolation.PROJECT_GID_BASE + release.project_id
            )
            mounts.append(isolation.Mount(release.path, release.project, release.release_id))
        groups = tuple(isolation.PROJECT_GID_BASE + pid for pid in sorted(access.projects.values()))
        self._staging = tempfile.mkdtemp(prefix="nightingale-spawn-")
        script = isolation.launch_script(
            username=self.user.name,
            home_source=home,
            mounts=mounts,
            identity=isolation.Identity(uid=uid, gid=uid, groups=groups),
            staging=Path(self._staging),
        )
        return isolation.wrap_command(script, [*self.cmd, *self.get_args()])

    def _command_shared(self, access: WorkspaceAccess, home: Path) -> list[str]:
        """Without root: links to the releases, made read-only by permissions only."""
        releases = home / RELEASES_FOLDER
        shutil.rmtree(releases, ignore_errors=True)
        for release in access.releases:
            link = releases / release.project / release.release_id
            link.parent.mkdir(parents=True, exist_ok=True)
            for folder, _dirs, files in os.walk(release.path):
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o444)
            link.symlink_to(release.path, target_is_directory=True)
        return [*self.cmd, *self.get_args()]

    def _check_isolation(self) -> None:
        """Fail closed: no server without isolation unless the development flag is set."""
        problem = isolation.isolation_refusal(
            isolate=self.isolate, allow_unisolated=self.allow_unisolated
        )
        if problem is not None:
            self.log.error("Refusing to start a server for %s: %s", self.user.name, problem)
            raise _refusal(
                503,
                "Workspaces are unavailable on this platform right now: it cannot isolate "
                "them. Please tell the platform's operators.",
            )
        if not self.isolate:
            self.log.warning(
                "UNISOLATED DEVELOPMENT MODE (%s=1): starting %s's server as the hub's own "
                "user; it can read the keys, the identifier zone and the database. Never "
                "use this with real data.",
                isolation.UNISOLATED_DEV_FLAG,
                self.user.name,
            )

    async def start(self) -> tuple[str, int]:
        """Refuse without isolation or with the policy's reason; else start the server."""
        self._check_isolation()
        access = await self._current()
        if access is None or not access.may_start_server:
            message = (
                access.refusal_message()
                if access
                else "Your account is not active on this platform."
            )
            raise _refusal(403, message)
        self._access = access
        port = int(getattr(self, "port", 0) or random_port())
        self.port = port
        home = await asyncio.to_thread(self._prepare_home, access)
        build = self._command_isolated if self.isolate else self._command_shared
        cmd = await asyncio.to_thread(build, access, home)
        self.log.info(
            "Starting workspace for %s with %d release(s)", self.user.name, len(access.releases)
        )
        self.proc = Popen(  # noqa: S603 - argv list, no shell; paths from the data root
            cmd,
            env=self.get_env(),
            cwd=str(home),
            # Same process group as the hub: stopping the hub's group stops every server.
            start_new_session=False,
            **self.popen_kwargs,
        )
        self.pid = self.proc.pid
        self._mounted = access.fingerprint()
        return (self.ip or "127.0.0.1", port)

    # -- revocation ---------------------------------------------------------------------

    async def poll(self) -> int | None:
        """Whether the server runs; stops it when the policy withdrew what it was given."""
        status: int | None = await super().poll()
        if status is not None or self._mounted is None or self._revoking:
            return status
        access = await self._current()
        still_allowed = access is not None and access.may_start_server
        if still_allowed and access is not None:
            still_allowed = set(self._mounted) <= set(access.fingerprint())
        if still_allowed:
            return None
        self.log.warning("Access withdrawn for %s: stopping their server", self.user.name)
        self._revoking = True
        try:
            await self._signal(signal.SIGTERM)
            await self.wait_for_death(self.term_timeout)
            if await super().poll() is None:
                await self._signal(signal.SIGKILL)
                await self.wait_for_death(self.kill_timeout)
        finally:
            self._revoking = False
        self._mounted = None
        return await super().poll() or 0

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        self._mounted = None
        if self._staging:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
