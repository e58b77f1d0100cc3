"""The workspace end to end: browsers, the real hub, the governance service, PostgreSQL.

Each test is one scenario in the words of the people involved, with a screenshot of
every step under ``test-output/e2e/<test>/``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from nightingale.governance.errors import PermissionDenied
from nightingale.governance.releases import revoke_release
from nightingale.hub.launcher import HubProcess
from nightingale.platform.database import session_scope
from tests.e2e.conftest import Screens, log_in
from tests.workspace_world import World

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

LAB_TIMEOUT_MS = 90_000
SMALL_REGION = "the e2e region has about 120 pilot tenants: k below 5 is expected (test data)"


def _contents(
    page: Any, hub: HubProcess, user: str, path: str, method: str = "GET", model: Any = None
) -> Any:
    """Call the researcher's own Jupyter contents API from their browser session.

    A PUT writes ``model`` (by default a text file saying "tampered").
    """
    model = model or {"type": "file", "format": "text", "content": "tampered"}
    script = """async ([url, method, model]) => {
        const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "";
        const body = method === "PUT" ? JSON.stringify(model) : undefined;
        const reply = await fetch(url, {method, body, headers: {"X-XSRFToken": xsrf,
            "Content-Type": "application/json"}});
        return {status: reply.status, body: await reply.text()};
    }"""
    url = f"{hub.url}/user/{user}/api/contents/{path}"
    return page.evaluate(script, [url, method, model])


def _open_new_notebook(page: Any, hub: HubProcess, user: str, name: str) -> None:
    """Save an empty Python 3 notebook in the user's home and open it in JupyterLab.

    Saved through the contents API and opened by its URL rather than from the launcher: a
    launcher card clicked while JupyterLab was still settling once opened nothing under a
    loaded CI machine. The notebook names its kernel, so JupyterLab starts it without asking.
    """
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": "first",
                "metadata": {},
                "source": "",
                "outputs": [],
                "execution_count": None,
            }
        ],
    }
    saved = _contents(page, hub, user, name, "PUT", {"type": "notebook", "content": notebook})
    assert saved["status"] == 201, saved
    page.goto(f"{hub.url}/user/{user}/lab/tree/{name}")
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=LAB_TIMEOUT_MS)
    except Exception as exc:  # say what JupyterLab showed instead of a bare timeout
        shown = page.locator("body").inner_text()[:2000]
        raise AssertionError(f"{name} did not open; JupyterLab shows: {shown!r}") from exc


def test_from_cohort_request_to_published_report_and_revocation(
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

    # The cohort builder refuses the release: the small e2e region is below the pilot's
    # k-anonymity target. Sam overrides it with a reason; another project gets one too.
    with pytest.raises(PermissionDenied, match="is below the target 5"):
        world.build(request_id)
    release_id = world.build(request_id, k_override=SMALL_REGION)
    other_release = world.built("other-study", by="ray", k_override=SMALL_REGION)

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

    # In a notebook, Rita submits a table with small cells (blocked), then a safe one; the
    # airlock reads each file and recomputes it from the release she loaded.
    _open_new_notebook(rita, hub, "rita", "airlock.ipynb")
    _run_cell(rita, FLAGGED_CELL, "submitted: block")
    _run_cell(rita, SAFE_CELL, "submitted: pass")
    screens.take(rita, "rita-notebook-outputs-submitted")

    # Otto rejects the blocked output (it cannot be approved at all) and approves the safe
    # one, which waits for a second output checker.
    otto = log_in(browser, hub, "otto")
    otto.click("text=Airlock")
    otto.click("tr:has-text('Counts by arm and IMD quintile') a")
    assert otto.locator("td.fail").count() >= 2
    assert "Cannot be approved" in otto.inner_text("#gate-blocked")
    assert otto.locator("button[value=approve]").count() == 0
    screens.take(otto, "otto-blocked-cells")
    otto.fill("#reason", "Cells under 10 people: combine the least deprived quintiles.")
    otto.click("button[value=reject]")
    assert otto.inner_text("#output-status") == "rejected"
    otto.click("text=Airlock")
    otto.click("tr:has-text('Counts by arm and sex') a")
    assert otto.locator("td.fail").count() == 0
    assert release_id in otto.inner_text("#output-release")
    otto.fill("#reason", "Every cell has at least 10 people; recomputed from the release.")
    otto.click("button[value=approve]")
    assert otto.inner_text("#output-status") == "submitted"
    assert otto.inner_text("#output-approvals") == "1 of 2 approvals"
    assert "already decided" in otto.inner_text("#decision-refused")
    screens.take(otto, "otto-approved-waiting-for-a-second-checker")

    # Owen, a second output checker, approves in his own browser: that releases it.
    owen = log_in(browser, hub, "owen")
    owen.click("text=Airlock")
    owen.click("tr:has-text('Counts by arm and sex') a")
    assert "Otto Checker" in owen.inner_text("#decisions")
    owen.fill("#reason", "Second check: totals match the release, no small cells.")
    screens.take(owen, "owen-second-check")
    owen.click("button[value=approve]")
    assert owen.inner_text("#output-status") == "released"
    assert owen.inner_text("#output-approvals") == "2 of 2 approvals"
    screens.take(owen, "owen-released")

    # Eve publishes it; the public registry shows the report to anyone.
    eve = log_in(browser, hub, "eve")
    eve.click("text=Publish")
    eve.check("input[name=output]")
    eve.fill("#title", "Homes pilot: participants by arm and sex")
    eve.fill("#result_id", "dfh-participants")
    eve.click("button[type=submit]")
    eve.wait_for_url("**/registry/dfh-participants")
    screens.take(eve, "eve-published")
    public = browser.new_context().new_page()
    public.goto(f"{hub.service_url}registry")
    public.click("text=Homes pilot: participants by arm and sex")
    assert "sex.csv" in public.inner_text("main")
    screens.take(public, "public-registry-report")

    # The stewards' request page shows the release was built below target by override.
    sam = log_in(browser, hub, "sam")
    sam.goto(f"{hub.service_url}steward/requests/{request_id}")
    assert SMALL_REGION in sam.inner_text(f"#k-override-{release_id}")
    screens.take(sam, "sam-release-built-by-override")

    # The stewards' audit log has every step, and its chain verifies.
    sam.goto(hub.service_url)
    sam.click("text=Audit log")
    assert "Chain verified" in sam.inner_text("#chain-status")
    assert "result.published" in sam.inner_text("main")
    screens.take(sam, "sam-audit-log")

    # A steward revokes the release: Rita's running server is stopped within a poll.
    with session_scope(world.engine) as session:
        revoke_release(session, world.keystore, by="sam", release_id=release_id, reason="e2e")
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and _server_running(rita, hub):
        time.sleep(1)
    assert not _server_running(rita, hub), "the server kept running after revocation"
    # Her project is still active, so she may work again, but the release is gone.
    rita.goto(f"{hub.url}/hub/spawn")
    rita.wait_for_url(re.compile(r".*/user/rita/lab.*"), timeout=LAB_TIMEOUT_MS)
    # JupyterLab restores her last layout, in which the file browser may be folded away:
    # the listing need only be loaded.
    rita.wait_for_selector(
        ".jp-DirListing-item >> text=releases", state="attached", timeout=LAB_TIMEOUT_MS
    )
    assert json.loads(_contents(rita, hub, "rita", "releases")["body"])["content"] == []
    screens.take(rita, "rita-after-revocation")


def _server_running(page: Any, hub: HubProcess) -> bool:
    reply = page.request.get(f"{hub.url}/hub/api/user", headers={"Referer": f"{hub.url}/hub/"})
    return bool(reply.json()["servers"])


FLAGGED_CELL = (
    "from nightingale import workspace as ws\n"
    "persons = ws.load('persons')\n"
    "first = ws.submit('Counts by arm and IMD quintile', "
    "{'imd.csv': ws.table(persons, 'treated', 'imd_quintile')})"
)
SAFE_CELL = (
    "second = ws.submit('Counts by arm and sex', {'sex.csv': ws.table(persons, 'treated', 'sex')})"
)


def _run_cell(page: Any, code: str, expect: str) -> None:
    """Type ``code`` into the active notebook cell, run it, wait for ``expect`` in its output."""
    # A cell run before the kernel is connected is silently dropped: wait for "Idle".
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=LAB_TIMEOUT_MS)
    editor = page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content")
    editor.click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    try:
        page.wait_for_selector(f".jp-OutputArea-output >> text={expect}", timeout=LAB_TIMEOUT_MS)
    except Exception as exc:  # show what the notebook said instead of a bare timeout
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        raise AssertionError(f"expected {expect!r}; the notebook shows {outputs}") from exc


def test_a_researcher_without_accreditation_is_told_why_no_workspace_starts(
    world: World, hub: HubProcess, browser: Any, screens: Screens
) -> None:
    nora = log_in(browser, hub, "nora")
    # The pages start with a skip link for keyboard users.
    nora.keyboard.press("Tab")
    assert nora.evaluate("document.activeElement.textContent") == "Skip to content"
    nora.goto(f"{hub.url}/hub/spawn")
    nora.wait_for_selector("text=not a member of any active project", timeout=30_000)
    screens.take(nora, "nora-spawn-refused")
