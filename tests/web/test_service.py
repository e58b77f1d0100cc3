"""The governance service: who sees which page, and what each form does."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

from nightingale.governance import audit
from nightingale.governance.tables import build_table
from tests.web.conftest import NOTEBOOK, PREFIX, SignIn, csrf_of
from tests.workspace_world import World

HTML = {"accept": "text/html"}


def test_a_page_without_a_session_goes_to_the_hubs_oauth_with_state_and_pkce(
    client: TestClient,
) -> None:
    reply = client.get(f"{PREFIX}/steward/requests", headers=HTML)
    assert reply.status_code == 303
    target = urlparse(reply.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/hub/api/oauth2/authorize"
    assert query["client_id"] == ["service-governance"]
    assert query["code_challenge_method"] == ["S256"]
    assert reply.cookies["nightingale-oauth-state"] == query["state"][0]


def test_an_oauth_callback_whose_state_does_not_match_the_cookie_is_refused(
    client: TestClient,
) -> None:
    client.cookies.set("nightingale-oauth-state", "expected-state")
    reply = client.get(f"{PREFIX}/oauth_callback?code=abc&state=forged-state", headers=HTML)
    assert reply.status_code == 403
    assert "could not be verified" in reply.text


def test_the_api_without_a_hub_token_answers_401_with_how_to_send_one(client: TestClient) -> None:
    reply = client.get(f"{PREFIX}/api/releases")
    assert reply.status_code == 401
    assert "JUPYTERHUB_API_TOKEN" in reply.json()["detail"]


def test_the_openapi_description_is_published(client: TestClient) -> None:
    paths = client.get(f"{PREFIX}/openapi.json").json()["paths"]
    assert f"{PREFIX}/api/outputs" in paths
    assert f"{PREFIX}/steward/requests/{{request_id}}/decision" in paths


def test_each_role_sees_only_its_own_areas(client: TestClient, signed_in: SignIn) -> None:
    signed_in("rita")
    start = client.get(f"{PREFIX}/", headers=HTML).text
    assert "My projects" in start and "Request queue" not in start
    assert client.get(f"{PREFIX}/steward/requests", headers=HTML).status_code == 403
    assert client.get(f"{PREFIX}/airlock/", headers=HTML).status_code == 403
    assert client.get(f"{PREFIX}/audit/", headers=HTML).status_code == 403
    signed_in("sam")
    assert client.get(f"{PREFIX}/steward/requests", headers=HTML).status_code == 200
    assert client.get(f"{PREFIX}/research/", headers=HTML).status_code == 403


def test_a_researcher_submits_a_request_and_an_invalid_spec_is_explained(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("rita")
    form = {
        "csrf": csrf_of(client, "rita"),
        "project": "dfh-pilot",
        "title": "Homes pilot cohort",
        "spec_text": world.spec_text().replace("column: tenancy_start", "column: no_such"),
        "why_housing": "the tenancies define the cohort",
        "action": "submit",
    }
    refused = client.post(f"{PREFIX}/research/requests", data=form, headers=HTML)
    assert refused.status_code == 422
    assert "no_such" in refused.text and "The request was not saved" in refused.text

    form["spec_text"] = world.spec_text()
    form["why_health"] = "outcomes"
    form["why_employment"] = "outcomes"
    created = client.post(f"{PREFIX}/research/requests", data=form, headers=HTML)
    assert created.status_code == 303
    page = client.get(created.headers["location"], headers=HTML)
    assert 'id="request-status">submitted<' in page.text


def test_a_form_post_without_the_sessions_csrf_token_is_refused(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = world.submitted_request()
    signed_in("sam")
    reply = client.post(
        f"{PREFIX}/steward/requests/{request_id}/decision",
        data={"csrf": "forged", "decision": "approve", "reason": "ok"},
        headers=HTML,
    )
    assert reply.status_code == 400
    assert "expired" in reply.text
    with world.unit("sam") as unit:
        (rejected,) = audit.entries(unit.session, action_prefix="request.rejected")
        assert rejected.actor == "sam"
        assert audit.details_of(rejected)["reason"] == "form post without the session's CSRF token"


def test_two_stewards_approve_health_data_and_nobody_decides_twice(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = world.submitted_request()
    url = f"{PREFIX}/steward/requests/{request_id}"
    signed_in("sam")
    page = client.get(url, headers=HTML).text
    for shown in ("Cohort spec", "SQL for persons", "Quasi-identifiers", "Linkage quality"):
        assert shown in page
    decide = {"csrf": csrf_of(client, "sam"), "decision": "approve", "reason": "proportionate"}
    assert client.post(f"{url}/decision", data=decide, headers=HTML).status_code == 303
    assert 'id="request-status">submitted<' in client.get(url, headers=HTML).text
    again = client.post(f"{url}/decision", data=decide, headers=HTML)
    assert again.status_code == 403
    assert "already decided" in again.text

    signed_in("sasha")
    decide["csrf"] = csrf_of(client, "sasha")
    assert client.post(f"{url}/decision", data=decide, headers=HTML).status_code == 303
    assert 'id="request-status">approved<' in client.get(url, headers=HTML).text


def test_the_api_lists_only_the_releases_the_policy_lets_the_caller_read(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    mine = world.released("dfh-pilot", by="rita")
    theirs = world.released("other-study", by="ray")
    signed_in("rita")
    listed = [r["release_id"] for r in client.get(f"{PREFIX}/api/releases").json()]
    assert listed == [mine]
    signed_in("ray")
    assert [r["release_id"] for r in client.get(f"{PREFIX}/api/releases").json()] == [theirs]


def _submit_table(client: TestClient, world: World, by_column: str) -> dict[str, object]:
    """Rita's table of the release by arm and ``by_column``, as the workspace client sends it."""
    import pandas as pd

    release_id = world.released("dfh-pilot", by="rita")
    folder = world.settings.data_root / "projects/dfh-pilot/releases" / release_id
    table = build_table(pd.read_parquet(folder / "persons.parquet"), "treated", by_column)
    reply = client.post(
        f"{PREFIX}/api/outputs",
        data={
            "project": "dfh-pilot",
            "title": f"by {by_column}",
            "metadata": json.dumps({"t.csv": {"kind": "table", "sdc": table.to_json()}}),
            "release": release_id,
        },
        files=[("files", ("t.csv", io.BytesIO(table.to_frame().to_csv().encode())))],
        headers=NOTEBOOK,
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_outputs_from_the_api_are_checked_against_the_release_and_decided_by_checkers(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("rita")
    flagged = _submit_table(client, world, "age_band")
    (checked,) = flagged["files"]  # type: ignore[misc]
    assert flagged["release"] and checked["outcome"] == "block"
    assert {f["rule"] for f in checked["findings"]} >= {"recomputed", "threshold"}
    assert any("85+" in line and "threshold" in line for line in checked["flagged"])

    signed_in("otto")
    page = client.get(f"{PREFIX}/airlock/{flagged['id']}", headers=HTML).text
    assert page.count('class="num fail"') == 2  # 85+ in both arms, each under 10 people
    assert 'id="gate-blocked"' in page and 'value="approve"' not in page
    approve = {"csrf": csrf_of(client, "otto"), "decision": "approve", "reason": "fine"}
    for override in ("", "true"):
        refused = client.post(
            f"{PREFIX}/airlock/{flagged['id']}/decision",
            data=approve | ({"override": override} if override else {}),
            headers=HTML,
        )
        assert refused.status_code == 403 and "blocked by the file check" in refused.text
    reject = approve | {"decision": "reject", "reason": "cells under 10"}
    assert (
        client.post(
            f"{PREFIX}/airlock/{flagged['id']}/decision", data=reject, headers=HTML
        ).status_code
        == 303
    )
    signed_in("rita")
    status = client.get(f"{PREFIX}/api/outputs/{flagged['id']}").json()
    assert status["status"] == "rejected" and status["decisions"] == ["reject: cells under 10"]


def test_metadata_disagreeing_with_the_file_is_shown_to_the_checker(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    import pandas as pd

    signed_in("rita")
    release_id = world.released("dfh-pilot", by="rita")
    folder = world.settings.data_root / "projects/dfh-pilot/releases" / release_id
    table = build_table(pd.read_parquet(folder / "persons.parquet"), "treated", "sex")
    claim = table.to_json()
    claim["cells"][0]["evidence"]["count"] += 7  # says more people than the release has
    reply = client.post(
        f"{PREFIX}/api/outputs",
        data={"project": "dfh-pilot", "title": "by sex", "release": release_id,
              "metadata": json.dumps({"t.csv": {"kind": "table", "sdc": claim}})},
        files=[("files", ("t.csv", io.BytesIO(table.to_frame().to_csv().encode())))],
        headers=NOTEBOOK,
    )  # fmt: skip
    output = reply.json()
    assert output["files"][0]["outcome"] == "review"
    signed_in("otto")
    page = client.get(f"{PREFIX}/airlock/{output['id']}", headers=HTML).text
    assert 'id="metadata-disagrees"' in page and "is not the release" in page
    approve = {"csrf": csrf_of(client, "otto"), "decision": "approve", "reason": "fine"}
    refused = client.post(f"{PREFIX}/airlock/{output['id']}/decision", data=approve, headers=HTML)
    assert refused.status_code == 403 and "metadata disagrees" in refused.text


def test_a_published_result_is_public_on_the_registry(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("rita")
    safe = _submit_table(client, world, "sex")
    assert safe["files"][0]["outcome"] == "pass"  # type: ignore[index]
    for checker in ("otto", "owen"):  # two different output checkers release it
        signed_in(checker)
        approve = {"csrf": csrf_of(client, checker), "decision": "approve", "reason": "safe"}
        client.post(f"{PREFIX}/airlock/{safe['id']}/decision", data=approve, headers=HTML)
    signed_in("otto")
    assert (
        'id="output-status">released<'
        in client.get(f"{PREFIX}/airlock/{safe['id']}", headers=HTML).text
    )
    signed_in("eve")
    published = client.post(
        f"{PREFIX}/publish/",
        data={"csrf": csrf_of(client, "eve"), "title": "Pilot counts", "result_id": "pilot-counts",
              "output": str(safe["id"])},
        headers=HTML,
    )  # fmt: skip
    assert published.status_code == 303
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    registry = client.get(f"{PREFIX}/registry", headers=HTML)
    assert registry.status_code == 200 and "Pilot counts" in registry.text
    report = client.get(f"{PREFIX}/registry/pilot-counts", headers=HTML)
    assert "t.csv" in report.text
    download = client.get(f"{PREFIX}/registry/pilot-counts/files/{safe['id']}-t.csv")
    assert download.status_code == 200 and download.text.startswith("treated")
    assert client.get(f"{PREFIX}/registry/pilot-counts/files/..%2Fmanifest.json").status_code == 404

    (world.settings.data_root / "published/pilot-counts/report.html").write_text("<h1>Report</h1>")
    assert "Read the report" in client.get(f"{PREFIX}/registry/pilot-counts", headers=HTML).text
    shown = client.get(f"{PREFIX}/registry/pilot-counts/files/report.html")
    assert shown.headers["content-type"].startswith("text/html")
    assert shown.headers["content-security-policy"].startswith("sandbox")


def test_stewards_see_the_audit_log_with_the_chains_verification(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    world.submitted_request()
    signed_in("sam")
    page = client.get(f"{PREFIX}/audit/", headers=HTML).text
    assert "Chain verified" in page and "request.submitted" in page


def test_a_request_returned_for_changes_is_revised_and_resubmitted_in_a_new_round(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = world.submitted_request()
    signed_in("sam")
    changes = {"csrf": csrf_of(client, "sam"), "decision": "changes", "reason": "drop earnings"}
    client.post(f"{PREFIX}/steward/requests/{request_id}/decision", data=changes, headers=HTML)

    signed_in("rita")
    url = f"{PREFIX}/research/requests/{request_id}/revise"
    form = client.get(url, headers=HTML).text
    assert "Resubmit for approval" in form and "the pilot needs health outcomes" in form
    revision = {
        "csrf": csrf_of(client, "rita"),
        "spec_text": "population: [not, a, mapping]",
        "why_health": "outcomes",
        "why_housing": "cohort",
        "why_employment": "outcomes",
    }
    refused = client.post(url, data=revision, headers=HTML)
    assert refused.status_code == 422 and "The request was not saved" in refused.text
    revision["spec_text"] = world.spec_text()
    assert client.post(url, data=revision, headers=HTML).status_code == 303
    page = client.get(f"{PREFIX}/research/requests/{request_id}", headers=HTML).text
    assert 'id="request-status">submitted<' in page and "round 2" in page
