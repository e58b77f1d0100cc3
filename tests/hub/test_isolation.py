"""The one-machine isolation: what the launch script does, proven by running it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nightingale.hub.isolation import (
    Identity,
    Mount,
    hidden_ancestor,
    launch_script,
    share_release_with_group,
    wrap_command,
)

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="private mount namespaces need root (CI runs as root)",
)


def _script(tmp_path: Path, mounts: list[Mount], uid: int = 20001) -> str:
    return launch_script(
        username="rita",
        home_source=tmp_path / "home",
        mounts=mounts,
        identity=Identity(uid=uid, gid=uid, groups=(30001,)),
        staging=tmp_path / "staging",
        prefix=Path(sys.base_prefix).resolve(),
    )


def test_every_release_is_remounted_read_only_and_privileges_are_dropped(tmp_path: Path) -> None:
    script = _script(tmp_path, [Mount(tmp_path / "rel one", "dfh-pilot", "r1")])
    assert "mount -o remount,bind,ro /home/rita/releases/dfh-pilot/r1" in script
    assert f"mount --bind '{tmp_path / 'rel one'}'" in script  # quoted, never pasted raw
    last = script.splitlines()[-1]
    for part in ("--reuid=20001", "--groups=20001,30001", "--bounding-set=-all", "--no-new-privs"):
        assert part in last


def test_a_username_that_could_escape_home_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="refusing"):
        launch_script(
            username="../etc",
            home_source=tmp_path,
            mounts=[],
            identity=Identity(uid=20001, gid=20001, groups=()),
            staging=tmp_path,
        )


def test_the_outermost_folder_others_cannot_enter_is_found_above_the_interpreter() -> None:
    base = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own tmp folders are 0700
    try:
        base.chmod(0o755)
        private = base / "private"
        (private / "inner" / "python").mkdir(parents=True)
        private.chmod(0o700)
        (private / "inner").chmod(0o700)
        assert hidden_ancestor(private / "inner" / "python") == private
        private.chmod(0o755)
        (private / "inner").chmod(0o755)
        assert hidden_ancestor(private / "inner" / "python") is None
    finally:
        shutil.rmtree(base)


@needs_root
def test_the_server_reads_its_release_cannot_write_it_and_cannot_see_the_data_root(
    tmp_path: Path,
) -> None:
    data_root = tmp_path / "var"
    release = data_root / "projects" / "dfh-pilot" / "releases" / "r1"
    release.mkdir(parents=True)
    (release / "persons.parquet").write_bytes(b"PAR1")
    data_root.chmod(0o700)
    share_release_with_group(release, 30001)
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 20001, 20001)
    (tmp_path / "staging").mkdir(mode=0o700)
    probe = (
        "import os, pathlib\n"
        "r = pathlib.Path('/home/rita/releases/dfh-pilot/r1')\n"
        "print('read', (r / 'persons.parquet').read_bytes())\n"
        "try:\n    (r / 'x').write_text('x')\n"
        "except OSError as e:\n    print('write', e.strerror)\n"
        f"print('root', os.access({str(data_root)!r}, os.R_OK))\n"
        "print('uid', os.getuid())\n"
        "pathlib.Path('/home/rita/notes.txt').write_text('mine')\n"
    )
    command = wrap_command(
        _script(tmp_path, [Mount(release, "dfh-pilot", "r1")]), [sys.executable, "-c", probe]
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "read b'PAR1'" in result.stdout
    assert "write Read-only file system" in result.stdout
    assert "root False" in result.stdout
    assert "uid 20001" in result.stdout
    assert (home / "notes.txt").read_text() == "mine"
    assert not (release / "x").exists()
    assert not (tmp_path / "staging").exists()


@needs_root
def test_a_process_set_free_with_setsid_dies_with_the_server(tmp_path: Path) -> None:
    """The server is its PID namespace's init: when it ends, nothing it started survives."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 20001, 20001)
    (tmp_path / "staging").mkdir(mode=0o700)
    mark = f"1003.{os.getpid()}"
    server = (
        "import subprocess\n"
        f"subprocess.Popen(['setsid', 'sleep', '{mark}'], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL)\nprint('ok')"
    )
    command = wrap_command(_script(tmp_path, []), [sys.executable, "-c", server])
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
    survivors = subprocess.run(
        ["pgrep", "-f", f"sleep {mark}"], capture_output=True, text=True, check=False
    ).stdout.split()
    for pid in survivors:  # an unfixed launcher leaves it running: end it
        os.kill(int(pid), 9)
    assert survivors == [], "a setsid child outlived its server"
