"""The hub's secrets: generated once, private, overridable by the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.hub.runtime import HubPaths, cgroup_parent, poll_seconds, secret
from nightingale.platform.errors import ConfigurationError


def test_a_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    paths = HubPaths(tmp_path)
    first = secret(paths, "cookie_secret")
    assert len(bytes.fromhex(first)) == 32
    assert secret(paths, "cookie_secret") == first
    assert (paths.hub / "cookie_secret.secret").stat().st_mode & 0o777 == 0o600


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    paths = HubPaths(tmp_path)
    secret(paths, "service_token")
    (paths.hub / "service_token.secret").chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        secret(paths, "service_token")


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIGPROXY_AUTH_TOKEN", "from-the-orchestrator")
    assert secret(HubPaths(tmp_path), "proxy_token") == "from-the-orchestrator"
    assert not (tmp_path / "hub" / "proxy_token.secret").exists()


def test_the_poll_interval_defaults_to_10_s_and_takes_1_to_300() -> None:
    assert poll_seconds({}) == 10
    assert poll_seconds({"NIGHTINGALE_HUB_POLL_SECONDS": " 1 "}) == 1
    assert poll_seconds({"NIGHTINGALE_HUB_POLL_SECONDS": "300"}) == 300


@pytest.mark.parametrize("raw", ["0", "301", "-5", "ten", "1.5"])
def test_a_bad_poll_interval_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigurationError, match=f"NIGHTINGALE_HUB_POLL_SECONDS='{raw}'"):
        poll_seconds({"NIGHTINGALE_HUB_POLL_SECONDS": raw})


def test_the_cgroup_parent_defaults_and_refuses_a_path() -> None:
    assert cgroup_parent({}) == "nightingale"
    assert cgroup_parent({"NIGHTINGALE_HUB_CGROUP_PARENT": "nightingale-w2"}) == "nightingale-w2"
    for bad in ("../escape", "a/b", ".."):
        with pytest.raises(ConfigurationError, match="NIGHTINGALE_HUB_CGROUP_PARENT"):
            cgroup_parent({"NIGHTINGALE_HUB_CGROUP_PARENT": bad})
