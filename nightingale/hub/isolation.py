"""The private view of the disk a researcher's server gets on one machine.

When the hub runs as root, each single-user server starts in its own mount and PID
namespaces (``unshare --mount --pid --fork --mount-proc``) through a short shell script
built here, which:

0. joins the server's cgroup (:mod:`.processes`), if the machine has one for it, and
   hides the cgroup file system from the server;
1. hides ``/home`` behind an empty tmpfs and binds the researcher's persistent home
   (``<data_root>/workspaces/homes/<name>``) at ``/home/<name>``;
2. mounts a tmpfs at ``~/releases`` and bind-mounts each release the policy allows
   read-only at ``~/releases/<project>/<release_id>`` (a read-only bind mount refuses
   writes whatever the file permissions say);
3. if the Python interpreter lives under a folder other users cannot enter (a pyenv
   under ``/root``), hides that folder behind a tmpfs and binds only the interpreter's
   prefix back, so the server can run without exposing the rest of it;
4. drops to the researcher's own uid, the groups of their projects, no capabilities
   and ``no_new_privs`` (``setpriv``), so the server cannot undo the mounts or read
   the data root (0700, owned by root).

The server is the PID namespace's init: when it ends, however it ends, the kernel kills
every process left in the namespace, including those started with ``setsid`` or a double
fork, so none outlives the server with its mounts.

Without root there is no isolation, and the spawner refuses to start servers
(:func:`isolation_refusal`) unless the development flag :data:`UNISOLATED_DEV_FLAG` is set.

Limits (documented in docs/security.md): processes still share the kernel, the network
and ``/tmp`` with the hub; there are no CPU or memory limits. Real isolation is the job
of the docker and Kubernetes deployments.

Everything is quoted with :func:`shlex.quote`; paths come from the data root and
release ids, never from what a researcher typed.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

UID_BASE = 20000
"""Per-person uid: ``UID_BASE + person id`` (stable across hub restarts)."""

SAFE_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
"""Governance's username rule, checked again here: the name becomes a path."""

PROJECT_GID_BASE = 30000
"""Per-project gid: ``PROJECT_GID_BASE + project id``; release files belong to it."""


@dataclass(frozen=True)
class Mount:
    """One release, read-only, at ``~/releases/<project>/<release_id>``."""

    source: Path
    project: str
    release_id: str


@dataclass(frozen=True)
class Identity:
    """The uid, primary gid and supplementary gids the server runs with."""

    uid: int
    gid: int
    groups: tuple[int, ...]


def hidden_ancestor(prefix: Path) -> Path | None:
    """The outermost ancestor of ``prefix`` that other users cannot traverse, if any."""
    for ancestor in reversed(prefix.parents):
        if ancestor == Path("/"):
            continue
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            return ancestor
    return None


def interpreter_prefix() -> Path:
    """The real prefix of the running interpreter (the base of a virtual environment)."""
    return Path(sys.base_prefix).resolve()


def launch_script(
    *,
    username: str,
    home_source: Path,
    mounts: Sequence[Mount],
    identity: Identity,
    staging: Path,
    prefix: Path | None = None,
    join: Sequence[str] = (),
) -> str:
    """The ``sh -c`` script that builds the view, drops privileges and execs ``"$@"``.

    ``staging`` is an empty root-only folder used to carry the interpreter's prefix
    across the tmpfs that hides its parent. ``join`` are the lines that put the script
    into the server's cgroup (:meth:`.processes.ServerCgroup.join_lines`); they run
    first, as root, so every process the server starts is a member and cannot leave.
    """
    if not SAFE_USERNAME.match(username):
        raise ValueError(f"refusing to build a workspace for the username {username!r}")
    q = shlex.quote
    home = Path("/home") / username
    releases = home / "releases"
    prefix = prefix or interpreter_prefix()
    hidden = hidden_ancestor(prefix)
    # First pin every source under the root-only staging folder: the tmpfs mounts below
    # may hide the folders the sources live in (a data root under /home, say).
    pinned: list[tuple[Path, Path]] = [(home_source, staging / "home")]
    pinned += [(m.source, staging / f"release-{i}") for i, m in enumerate(mounts)]
    if hidden is not None:
        pinned.append((prefix, staging / "prefix"))
    lines = ["set -eu", *join]
    if join:
        # The server need not see which other people have servers running.
        lines.append("mount -t tmpfs -o mode=0755,size=1m nightingale-cgroup /sys/fs/cgroup")
    for source, pin in pinned:
        lines += [f"mkdir -p {q(str(pin))}", f"mount --bind {q(str(source))} {q(str(pin))}"]
    lines += [
        "mount -t tmpfs -o mode=0755,size=1m nightingale-homes /home",
        f"mkdir -p {q(str(home))}",
        f"mount --bind {q(str(staging / 'home'))} {q(str(home))}",
        f"mkdir -p {q(str(releases))}",
        f"mount -t tmpfs -o mode=0755,size=1m nightingale-releases {q(str(releases))}",
    ]
    for i, mount in enumerate(mounts):
        target = releases / mount.project / mount.release_id
        lines += [
            f"mkdir -p {q(str(target))}",
            f"mount --bind {q(str(staging / f'release-{i}'))} {q(str(target))}",
            f"mount -o remount,bind,ro {q(str(target))}",
        ]
    if hidden is not None:
        lines += [
            f"mount -t tmpfs -o mode=0755,size=1m nightingale-hidden {q(str(hidden))}",
            f"mkdir -p {q(str(prefix))}",
            f"mount --bind {q(str(staging / 'prefix'))} {q(str(prefix))}",
        ]
    lines += [f"umount {q(str(pin))}" for _source, pin in pinned]
    # The staging folder has done its job: leave nothing behind on the host's /tmp.
    lines += [f"rmdir {' '.join(q(str(pin)) for _source, pin in pinned)} {q(str(staging))}"]
    groups = ",".join(str(g) for g in (identity.gid, *identity.groups))
    lines += [
        f"cd {q(str(home))}",
        f"exec setpriv --reuid={identity.uid} --regid={identity.gid} --groups={groups} "
        '--inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"',
    ]
    return "\n".join(lines)


def wrap_command(script: str, command: Sequence[str]) -> list[str]:
    """``command`` run by ``script`` inside new private mount and PID namespaces.

    ``unshare`` forks: its child is the namespace's init (the script, which execs the
    server), with a ``/proc`` of its own. ``unshare`` itself waits outside and ignores
    SIGTERM and SIGINT, so the spawner signals the init
    (:func:`.processes.namespace_init`).
    """
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--pid",
        "--fork",
        "--mount-proc",
        "--",
        "/bin/sh",
        "-c",
        script,
        "nightingale-workspace",
        *command,
    ]


def can_isolate() -> bool:
    """Whether this process may build private mount namespaces (it must be root)."""
    return os.geteuid() == 0


UNISOLATED_DEV_FLAG = "NIGHTINGALE_HUB_UNISOLATED_DEV"
"""Set to ``1`` to let a hub that cannot isolate start servers anyway: development only.

Such a server runs as the hub's own user, so it can read everything the platform can:
the keys, the identifier zone, the hub's cookie secret and the governance database.
docs/security.md says what the flag gives up."""


def unisolated_dev_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the development flag is set (exactly ``1``; anything else is off)."""
    values = os.environ if environ is None else environ
    return values.get(UNISOLATED_DEV_FLAG, "") == "1"


def isolation_refusal(*, isolate: bool, allow_unisolated: bool) -> str | None:
    """Why a server must not start on this hub, or ``None`` when it may.

    The one-machine spawner fails closed: a server starts isolated (root, private mount
    namespace, own uid) or, only with the development flag, unisolated.
    """
    if isolate and not can_isolate():
        return (
            "the hub is configured to isolate servers but is not running as root, "
            "so it cannot build their private mount namespaces"
        )
    if not isolate and not allow_unisolated:
        return (
            "the hub cannot isolate servers (it is not running as root, or isolation is "
            "switched off) and would start them as the platform's own user, able to read "
            f"its keys and database; run the hub as root, or set {UNISOLATED_DEV_FLAG}=1 "
            "on a development machine with no real data"
        )
    return None


def share_release_with_group(release: Path, gid: int) -> None:
    """Give a release's files to the project's group, readable, never writable.

    Releases are written 0640/0750 by root; the researcher's server runs under its own
    uid, so it reads them through the project group. Nothing outside the mount can reach
    them: the data root above stays 0700.
    """
    for folder, _dirs, files in os.walk(release):
        os.chown(folder, -1, gid)
        os.chmod(folder, 0o750)  # noqa: S103 - group is the project; others get nothing
        for name in files:
            path = os.path.join(folder, name)
            os.chown(path, -1, gid)
            os.chmod(path, 0o440)
