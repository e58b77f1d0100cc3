"""The airlock as operations: approve, release and publish mean one thing on every edge.

Release needs two different output checkers (otto and owen here): the first approval is
recorded and waits, the second releases.

Real components throughout: an initialised data root with the workspace world's people
and projects, the real CLI entry point, the real web service (only the hub's identity
answer is given, as in tests/web), and the operations they both call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from jupyterhub.services.auth import HubOAuth

from nightingale.cli import main
from nightingale.governance import audit, outputs
from nightingale.governance.errors import PermissionDenied
from nightingale.governance.outputs import OutputFileSpec
from nightingale.governance.tables import build_table
from nightingale.operations import airlock
from nightingale.operations.unit import open_unit
from nightingale.platform.settings import Settings
from nightingale.web.auth import HubGate, HubIdentity
from nightingale.web.dependencies import api_identity, browser_identity
from nightingale.web.main import create_app
from tests.workspace_world import World, build_world

PREFIX = "/services/governance"


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    oauth = HubOAuth(
        api_token="test-service-token",
        oauth_client_id="service-governance",
        base_url=f"{PREFIX}/",
        hub_prefix="/hub/",
        hub_host="",
    )
    app = create_app(world.settings, gate=HubGate(oauth))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as test_client:
        yield test_client


def web_decision(client: TestClient, username: str, output_id: int, **form: str) -> int:
    """Post the airlock page's decision form as ``username``; return the status code."""
    identity = HubIdentity(username=username, token=f"hub-token-of-{username}")
    client.app.dependency_overrides[browser_identity] = lambda: identity  # type: ignore[attr-defined]
    client.app.dependency_overrides[api_identity] = lambda: identity  # type: ignore[attr-defined]
    gate: HubGate = client.app.state.gate  # type: ignore[attr-defined]
    data = {"csrf": gate.csrf_token(identity.token), **form}
    reply = client.post(f"{PREFIX}/airlock/{output_id}/decision", data=data)
    return reply.status_code


def cli(settings: Settings, *args: str) -> int:
    """Run the console script's entry point; return its exit code."""
    try:
        main(["--data-root", str(settings.data_root), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def safe_table(folder: Path, name: str = "by_sex.csv") -> OutputFileSpec:
    """A table every cell of which passes the automatic checks."""
    frame = pd.DataFrame(
        {
            "treated": [i % 2 for i in range(80)],
            "sex": ["F" if i % 4 < 2 else "M" for i in range(80)],
        }
    )
    table = build_table(frame, "treated", "sex")
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    table.to_frame().to_csv(path)
    return OutputFileSpec(path, "table", table.to_json())


def submitted(world: World, tmp_path: Path, title: str = "by sex") -> int:
    with open_unit(world.settings, "rita") as work:
        return airlock.submit(
            work, project="dfh-pilot", title=title, files=[safe_table(tmp_path / title)]
        ).id


def state_of(world: World, output_id: int) -> dict[str, Any]:
    """What an output request looks like afterwards: status, decisions, tally, audit."""
    with open_unit(world.settings, "reader") as work:
        output = outputs.get_output(work.session, output_id)
        entries = audit.entries(work.session, object_type="output", object_id=str(output_id))
        return {
            "status": output.status,
            "decisions": [(d.checker.username, d.decision) for d in output.decisions],
            "tally": str(outputs.output_tally(output)),
            "audit": [(e.actor, e.action) for e in entries],
        }


def test_approving_from_the_cli_and_from_the_web_leaves_the_same_state(
    world: World, client: TestClient, tmp_path: Path
) -> None:
    from_cli, from_web = submitted(world, tmp_path, "one"), submitted(world, tmp_path, "two")

    for checker in ("otto", "owen"):
        assert cli(world.settings, "outputs", "approve", str(from_cli), "--as", checker,
                   "--reason", "all cells pass") == 0  # fmt: skip
        assert (
            web_decision(client, checker, from_web, decision="approve", reason="all cells pass")
            == 303
        )
        if checker == "otto":  # one approval is recorded; the output waits for another
            for output_id in (from_cli, from_web):
                waiting = state_of(world, output_id)
                assert (waiting["status"], waiting["tally"]) == ("submitted", "1 of 2")

    expected = {
        "status": "released",
        "decisions": [("otto", "approve"), ("owen", "approve")],
        "tally": "2 of 2",
        "audit": [
            ("rita", "output.submitted"),
            ("otto", "output.approval"),
            ("owen", "output.approved"),
            ("owen", "output.released"),
        ],
    }
    assert state_of(world, from_cli) == expected
    assert state_of(world, from_web) == expected
    for output_id in (from_cli, from_web):  # the checker's page says the same of both
        page = client.get(f"{PREFIX}/airlock/{output_id}").text
        assert 'id="output-status">released<' in page
        assert 'id="output-approvals">2 of 2 approvals<' in page


def test_there_is_no_separate_release_command(world: World, tmp_path: Path) -> None:
    output_id = submitted(world, tmp_path)
    assert cli(world.settings, "outputs", "release", str(output_id), "--as", "otto") == 2
    assert state_of(world, output_id)["status"] == "submitted"


def test_a_rejected_output_is_not_released_and_cannot_be_published(
    world: World, tmp_path: Path
) -> None:
    output_id = submitted(world, tmp_path)
    with open_unit(world.settings, "otto") as work:
        outcome = airlock.decide(work, output_id, "reject", "not needed for the report")
    assert (outcome.status, outcome.released, str(outcome.tally)) == ("rejected", False, "0 of 2")
    with (
        pytest.raises(PermissionDenied, match="is rejected; this needs it to be released"),
        open_unit(world.settings, "eve") as work,
    ):
        airlock.publish(work, title="Pilot", output_ids=[output_id], result_id="pilot")
    assert not (world.settings.data_root / "published" / "pilot").exists()


def test_publishing_refuses_an_output_not_yet_released_then_publishes_it(
    world: World, tmp_path: Path
) -> None:
    output_id = submitted(world, tmp_path)
    with (
        pytest.raises(PermissionDenied, match="is submitted; this needs it to be released"),
        open_unit(world.settings, "eve") as work,
    ):
        airlock.publish(work, title="Pilot", output_ids=[output_id], result_id="pilot")

    for checker, released in (("otto", False), ("owen", True)):
        with open_unit(world.settings, checker) as work:
            assert airlock.decide(work, output_id, "approve", "safe").released is released
    with open_unit(world.settings, "eve") as work:
        result = airlock.publish(work, title="Pilot", output_ids=[output_id], result_id="pilot")
        location = result.location
    manifest = json.loads((world.settings.data_root / location / "manifest.json").read_text())
    assert manifest["output_requests"] == [output_id]
    assert manifest["files"].keys() == {f"{output_id}-by_sex.csv"}


def test_an_approval_whose_release_is_refused_is_not_kept(world: World, tmp_path: Path) -> None:
    output_id = submitted(world, tmp_path)
    with open_unit(world.settings, "otto") as work:
        airlock.decide(work, output_id, "approve", "safe")
    with open_unit(world.settings, "reader") as work:
        location = outputs.get_output(work.session, output_id).location
    (world.settings.data_root / location / "by_sex.csv").write_text("treated,F,M\n1,1,1\n")
    with (
        pytest.raises(PermissionDenied, match="by_sex.csv changed or vanished"),
        open_unit(world.settings, "owen") as work,
    ):
        airlock.decide(work, output_id, "approve", "safe")
    state = state_of(world, output_id)
    assert (state["status"], state["decisions"], state["tally"]) == (
        "submitted",
        [("otto", "approve")],
        "1 of 2",
    )
    assert state["audit"][-1] == ("owen", "output.release.refused")


def test_a_return_is_not_counted_as_an_approval(world: World, tmp_path: Path) -> None:
    output_id = submitted(world, tmp_path)
    with open_unit(world.settings, "otto") as work:
        outcome = airlock.decide(work, output_id, "return", "add a total row")
    assert (outcome.status, str(outcome.tally)) == ("returned", "0 of 2")
