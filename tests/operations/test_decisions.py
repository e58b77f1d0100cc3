"""A steward's decision on a linkage request, and one count of approvals in every view.

The pilot's request includes health data, so it needs two approvals. When one steward
approves and another rejects or asks for changes, every view says "1 of 2": the
operation's outcome, the steward's pages, and ``nightingale requests list`` (which used
to count every decision of the round).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jupyterhub.services.auth import HubOAuth

from nightingale.cli import main
from nightingale.governance.requests import get_request
from nightingale.operations import decisions
from nightingale.operations.unit import open_unit
from nightingale.platform.settings import CONFIG_FILE_NAME, Settings, load_settings
from nightingale.web.auth import HubGate, HubIdentity
from nightingale.web.dependencies import api_identity, browser_identity
from nightingale.web.main import create_app
from tests.workspace_world import World, build_world

PREFIX = "/services/governance"
HTML = {"accept": "text/html"}


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings)


@contextmanager
def steward_service(settings: Settings) -> Iterator[TestClient]:
    """The governance service on ``settings``, with the hub naming sam, a data steward."""
    oauth = HubOAuth(
        api_token="test-service-token",
        oauth_client_id="service-governance",
        base_url=f"{PREFIX}/",
        hub_prefix="/hub/",
        hub_host="",
    )
    app = create_app(settings, gate=HubGate(oauth))
    sam = HubIdentity(username="sam", token="hub-token-of-sam")
    app.dependency_overrides[browser_identity] = lambda: sam
    app.dependency_overrides[api_identity] = lambda: sam
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        yield client


@pytest.fixture
def steward_client(world: World) -> Iterator[TestClient]:
    with steward_service(world.settings) as client:
        yield client


def cli_output(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """``nightingale requests list`` as printed (wide enough that no cell wraps)."""
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--data-root", str(settings.data_root), "requests", "list"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def decided(world: World, second: str) -> tuple[int, decisions.DecisionOutcome]:
    """Sam approves the pilot's request; sasha then takes ``second``."""
    request_id = world.submitted_request()
    with open_unit(world.settings, "sam") as work:
        first = decisions.decide(work, request_id, "approve", "proportionate")
    assert (first.status, first.approvals, first.needed) == ("submitted", 1, 2)
    with open_unit(world.settings, "sasha") as work:
        return request_id, decisions.decide(work, request_id, second, "not yet")


def test_an_approval_and_a_rejection_count_as_one_approval_everywhere(
    world: World,
    steward_client: TestClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id, outcome = decided(world, "reject")
    assert (outcome.status, outcome.approvals, outcome.needed) == ("rejected", 1, 2)
    with open_unit(world.settings, "reader") as work:
        assert str(decisions.tally(work, get_request(work.session, request_id))) == "1 of 2"

    page = steward_client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text
    assert 'id="request-approvals">1 of 2 approvals this round<' in page

    row = next(line for line in cli_output(world.settings, capsys, monkeypatch).splitlines()
               if "rejected" in line)  # fmt: skip
    assert "1 of 2" in row and "2 of 2" not in row


def test_an_approval_and_a_request_for_changes_show_one_approval_in_the_queue(
    world: World,
    steward_client: TestClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_id, outcome = decided(world, "changes")
    assert (outcome.status, outcome.approvals) == ("changes_requested", 1)

    queue = steward_client.get(f"{PREFIX}/steward/requests", headers=HTML).text
    row = queue[queue.index(f"#{request_id}<") :].split("</tr>")[0]
    assert '<td class="num">1 of 2</td>' in row

    listed = cli_output(world.settings, capsys, monkeypatch)
    assert "1 of 2" in next(line for line in listed.splitlines() if "changes" in line)


def test_the_cli_counts_against_the_deployments_settings_like_the_web(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(CONFIG_FILE_NAME).write_text("[governance]\nspecial_category_approvals = 3\n")
    deployed = load_settings(data_root=world.settings.data_root)
    request_id = world.submitted_request()
    listed = cli_output(deployed, capsys, monkeypatch)
    assert "0 of 3" in next(line for line in listed.splitlines() if "submitted" in line)
    with steward_service(deployed) as client:
        page = client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text
    assert 'id="request-approvals">0 of 3 approvals this round<' in page
