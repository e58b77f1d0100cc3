"""The jobs pages: members see their project's jobs (log, outputs, provenance); others not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nightingale.hub.jobs import IsolatedRunner
from nightingale.operations.jobs import run_job
from tests.operations.jobs_world import git, lodge_plan, make_repository
from tests.web.conftest import PREFIX, SignIn
from tests.workspace_world import World

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="isolated jobs need root (CI runs as root)",
)


@pytest.fixture
def job_id(world: World, tmp_path: Path) -> int:
    world.released("dfh-pilot", "rita")
    lodge_plan(world)
    repo = make_repository(tmp_path)
    return run_job(
        world.settings, "rita", project="dfh-pilot", action="counts", repository=repo,
        runner=IsolatedRunner(), engine=world.engine, keystore=world.keystore,
    )  # fmt: skip


def test_a_member_reads_the_jobs_log_outputs_and_provenance(
    client: TestClient, signed_in: SignIn, job_id: int, tmp_path: Path
) -> None:
    signed_in("rita")
    listing = client.get(f"{PREFIX}/jobs/")
    assert listing.status_code == 200
    assert f'href="{PREFIX}/jobs/{job_id}"' in listing.text
    page = client.get(f"{PREFIX}/jobs/{job_id}")
    assert page.status_code == 200
    assert "succeeded" in page.text
    assert git(tmp_path / "analysis-repo", "rev-parse", "HEAD") in page.text
    assert "output/counts.csv" in page.text and "may be requested for release" in page.text
    assert "r1-dfh-pilot" in page.text
    assert "dfh-pilot version 1.0.0, revision 0, lodged" in page.text  # the lodged plan


def test_checkers_see_every_job_and_other_researchers_none(
    client: TestClient, signed_in: SignIn, job_id: int
) -> None:
    signed_in("otto")
    assert client.get(f"{PREFIX}/jobs/{job_id}").status_code == 200
    signed_in("ray")
    assert client.get(f"{PREFIX}/jobs/{job_id}").status_code == 403
    assert f"/jobs/{job_id}" not in client.get(f"{PREFIX}/jobs/").text
    signed_in("eve")
    assert client.get(f"{PREFIX}/jobs/{job_id}").status_code == 403
