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

Stopping a server, for revocation or otherwise, ends *every* process it started
(:mod:`.processes`): the isolated server is the init of its own PID namespace, so the
kernel kills whatever is left in the namespace when it dies, and it runs in its own
cgroup (freezer and pids controllers, where the machine has them), which the spawner
freezes, kills and removes, then checks that nothing runs under the person's uid. After
a revocation, and before every start, copies of releases withdrawn from the person are
moved out of their persistent home for a steward to review
(:mod:`nightingale.operations.release_copies`).

Real isolation (separate kernels per user, no network egress, CPU and memory limits) is
the job of the docker (DockerSpawner) and Kubernetes (KubeSpawner) deployments.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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
from nightingale.hub.access import current_access, quarantine_copies, settings_for
from nightingale.hub.processes import (
    DEFAULT_PARENT,
    ServerCgroup,
    namespace_init,
    processes_of,
)
from nightingale.hub.runtime import HubPaths
from nightingale.operations.release_copies import remember_releases
from nightingale.operations.workspace import WorkspaceAccess
from nightingale.platform.contracts import ContractError, confined_release_folder
from nightingale.platform.storage import DataRoot

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

    cgroup_parent = Unicode(
        DEFAULT_PARENT,
        help="Folder under each cgroup v1 controller (freezer, pids) holding one cgroup per "
        "isolated server: /sys/fs/cgroup/<controller>/<cgroup_parent>/<user>.",
    ).tag(config=True)

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
    _cgroup: ServerCgroup | None = None
    _uid: int | None = None

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

    def _confined(self, access: WorkspaceAccess) -> WorkspaceAccess:
        """Only releases inside their project's releases folder of the data root.

        A release path is shared with a group, chmod-ed or bind-mounted; a path the
        database could point anywhere (the keys, the identifier zone) is refused here
        too, whatever produced it, and the refusal is logged.
        """
        root = DataRoot(self._paths().data_root)
        kept = []
        for release in access.releases:
            try:
                path = confined_release_folder(root, release.project, release.path)
            except ContractError as exc:
                self.log.error("Not mounting release %s: %s", release.release_id, exc)
                continue
            kept.append(dataclasses.replace(release, path=path))
        return dataclasses.replace(access, releases=tuple(kept))

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
        self._uid = uid
        self._cgroup = ServerCgroup.for_user(self.user.name, parent=self.cgroup_parent)
        if self._cgroup.enabled:
            self._cgroup.create()
        else:
            self.log.warning(
                "No writable freezer or pids cgroup here: %s's server is ended through its "
                "PID namespace alone",
                self.user.name,
            )
        self._staging = tempfile.mkdtemp(prefix="nightingale-spawn-")
        script = isolation.launch_script(
            username=self.user.name,
            home_source=home,
            mounts=mounts,
            identity=isolation.Identity(uid=uid, gid=uid, groups=groups),
            staging=Path(self._staging),
            join=self._cgroup.join_lines(),
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
        access = self._confined(access)
        self._access = access
        port = int(getattr(self, "port", 0) or random_port())
        self.port = port
        home = await asyncio.to_thread(self._prepare_home, access)
        # Copies of releases withdrawn while no server ran leave the home before it starts;
        # then the marks of what is about to be mounted are kept for the next revocation.
        await asyncio.to_thread(self._quarantine, access)
        await asyncio.to_thread(
            remember_releases, self._paths().data_root, self.user.name, access.releases
        )
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

    # -- ending every process ---------------------------------------------------------

    async def _signal(self, sig: int) -> bool:
        """Signal the server; isolated, that is the PID namespace's init, not ``unshare``."""
        if sig and self.isolate and self.pid:
            init = namespace_init(self.pid)
            if init is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(init, sig)
                alive: bool = await super()._signal(0)
                return alive
        signalled: bool = await super()._signal(sig)
        return signalled

    def _end_everything(self) -> None:
        """Kill what is left in the server's cgroup, remove it, and check the uid is idle."""
        cgroup, self._cgroup = self._cgroup, None
        if cgroup is None and self.isolate and isolation.can_isolate():
            # After a hub restart: whatever runs in this person's cgroup is theirs.
            cgroup = ServerCgroup.for_user(self.user.name, parent=self.cgroup_parent)
        if cgroup is not None and cgroup.enabled:
            left = cgroup.end()
            if left:
                self.log.error(
                    "%d process(es) of %s's server survived being killed: %s",
                    len(left),
                    self.user.name,
                    sorted(left),
                )
        if self._uid is not None:
            running = processes_of(self._uid)
            if running:
                self.log.error(
                    "Processes still run under %s's uid %d after their server stopped: %s",
                    self.user.name,
                    self._uid,
                    running,
                )
        if self._staging:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def _quarantine(self, access: WorkspaceAccess | None) -> None:
        """Move copies of releases the person may no longer read out of their home."""
        readable = {r.release_id for r in access.releases} if access is not None else set()
        home = self._paths().home(self.user.name)
        report = quarantine_copies(
            settings_for(self.data_root), self.user.name, home, frozenset(readable)
        )
        if report.copies:
            self.log.warning(
                "Moved %d copy(ies) of withdrawn release(s) %s out of %s's home into %s",
                len(report.copies),
                ", ".join(report.releases),
                self.user.name,
                report.folder,
            )

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
            await asyncio.to_thread(self._end_everything)
            await asyncio.to_thread(self._quarantine, access)
        finally:
            self._revoking = False
        self._mounted = None
        return await super().poll() or 0

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        self._mounted = None
        await asyncio.to_thread(self._end_everything)
