"""The workspace end to end: browsers, the real hub, the governance service, PostgreSQL.

Each test is one scenario in the words of the people involved, with a screenshot of
every step under ``test-output/e2e/<test>/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from nightingale.platform.hub.launcher import HubProcess
from tests.e2e.conftest import Screens, log_in
from tests.workspace_world import World

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

LAB_TIMEOUT_MS = 90_000


def _contents(page: Any, hub: HubProcess, user: str, path: str, method: str = "GET") -> Any:
    """Call the researcher's own Jupyter contents API from their browser session."""
    script = """async ([url, method]) => {
        const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "";
        const body = method === "PUT"
            ? JSON.stringify({type: "file", format: "text", content: "tampered"}) : undefined;
        const reply = await fetch(url, {method, body, headers: {"X-XSRFToken": xsrf,
            "Content-Type": "application/json"}});
        return {status: reply.status, body: await reply.text()};
    }"""
    url = f"{hub.url}/user/{user}/api/contents/{path}"
    return page.evaluate(script, [url, method])


def test_request_approved_by_two_stewards_appears_read_only_in_the_researchers_lab(
    world: World, hub: HubProcess, browser: Any, screens: Screens
) -> None:
    # Rita drafts and submits the homes pilot's cohort request in her browser.
    rita = log_in(browser, hub, "rita")
    screens.take(rita, "rita-start-page")
    rita.click("text=Open my projects")
    rita.click("text=Draft a cohort request for dfh-pilot")
    rita.fill("#title", "Homes pilot cohort")
    rita.fill("#spec_text", world.spec_text())
    for dataset in ("health", "housing", "employment"):
        rita.fill(f"#why_{dataset}", f"The evaluation needs {dataset} outcomes before and after.")
    screens.take(rita, "rita-request-form")
    rita.click("button[value=submit]")
    assert rita.inner_text("#request-status") == "submitted"
    request_id = int(re.search(r"/research/requests/(\d+)", rita.url).group(1))  # type: ignore[union-attr]
    screens.take(rita, "rita-request-submitted")

    # Two stewards approve in their own browsers; health data needs both.
    for steward, expected in (("sam", "submitted"), ("sasha", "approved")):
        page = log_in(browser, hub, steward)
        page.click("text=Request queue")
        page.click(f"a[href$='/steward/requests/{request_id}']")
        assert "SQL for persons" in page.inner_text("main")
        page.fill("#reason", f"{steward}: proportionate, minimum data, lawful basis recorded")
        screens.take(page, f"{steward}-request-page")
        page.click("button[value=approve]")
        assert page.inner_text("#request-status") == expected
        screens.take(page, f"{steward}-approved")

    # The builder writes the release; another project gets one too.
    release_id = world.release(request_id, "dfh-pilot")
    other_release = world.released("other-study", by="ray")

    # Rita's JupyterLab shows her project's release, read-only, and nothing else.
    rita.goto(f"{hub.url}/hub/spawn")
    rita.wait_for_url(re.compile(r".*/user/rita/lab.*"), timeout=LAB_TIMEOUT_MS)
    rita.wait_for_selector("text=releases", timeout=LAB_TIMEOUT_MS)
    rita.dblclick(".jp-DirListing-item >> text=releases")
    rita.wait_for_selector(".jp-DirListing-item >> text=dfh-pilot")
    screens.take(rita, "rita-jupyterlab-releases")
    listing = _contents(rita, hub, "rita", "releases")
    assert [item["name"] for item in json.loads(listing["body"])["content"]] == ["dfh-pilot"]
    inside = json.loads(_contents(rita, hub, "rita", "releases/dfh-pilot")["body"])
    assert [item["name"] for item in inside["content"]] == [release_id]
    assert other_release not in json.dumps(inside)
    files = json.loads(_contents(rita, hub, "rita", f"releases/dfh-pilot/{release_id}")["body"])
    assert {item["name"] for item in files["content"]} >= {"persons.parquet", "manifest.json"}

    written = _contents(rita, hub, "rita", f"releases/dfh-pilot/{release_id}/x.txt", "PUT")
    assert written["status"] >= 400
    assert re.search(r"Read-only file system|Permission denied", written["body"])
    home = _contents(rita, hub, "rita", "notes.txt", "PUT")
    assert home["status"] == 201, home


def test_a_researcher_without_accreditation_is_told_why_no_workspace_starts(
    world: World, hub: HubProcess, browser: Any, screens: Screens
) -> None:
    nora = log_in(browser, hub, "nora")
    nora.goto(f"{hub.url}/hub/spawn")
    nora.wait_for_selector("text=not a member of any active project", timeout=30_000)
    screens.take(nora, "nora-spawn-refused")
