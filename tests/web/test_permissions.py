"""Every page and API answer about one object asks the policy whether the caller may see it.

Each test is a person reaching for something that is not theirs: a researcher of one
project asking for another project's page, request or output, and people outside the
stewards asking for the linkage quality report. Each would be answered if the route did
not ask the policy's view actions (``project.view``, ``request.view``, ``output.view``,
``linkage_report.read``).
"""

from __future__ import annotations

import io
import json

from fastapi.testclient import TestClient

from tests.web.conftest import NOTEBOOK, PREFIX, SignIn, csrf_of
from tests.workspace_world import World

HTML = {"accept": "text/html"}


def test_my_projects_shows_only_the_projects_i_am_on(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    world.draft_request(by="ray", project="other-study")
    signed_in("rita")
    page = client.get(f"{PREFIX}/research/", headers=HTML).text
    assert "dfh-pilot" in page
    assert "other-study" not in page


def test_a_researcher_cannot_open_another_projects_request_form(
    client: TestClient, signed_in: SignIn
) -> None:
    signed_in("rita")
    assert client.get(f"{PREFIX}/research/requests/new?project=dfh-pilot", headers=HTML).is_success
    reply = client.get(f"{PREFIX}/research/requests/new?project=other-study", headers=HTML)
    assert reply.status_code == 403
    assert "not a member of project other-study" in reply.text


def test_a_refused_post_does_not_show_another_projects_form(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("rita")
    form = {
        "csrf": csrf_of(client, "rita"),
        "project": "other-study",
        "title": "Not mine",
        "spec_text": "population: [not, a, mapping]",
        "action": "save",
    }
    reply = client.post(f"{PREFIX}/research/requests", data=form, headers=HTML)
    assert reply.status_code == 403
    assert "not a member of project other-study" in reply.text


def test_a_researcher_cannot_read_or_revise_another_projects_request(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    theirs = world.submitted_request(by="ray", project="other-study")
    signed_in("ray")
    assert client.get(f"{PREFIX}/research/requests/{theirs}", headers=HTML).is_success
    signed_in("rita")
    for url in (f"research/requests/{theirs}", f"research/requests/{theirs}/revise"):
        reply = client.get(f"{PREFIX}/{url}", headers=HTML)
        assert reply.status_code == 403, url
        assert "not a member of project other-study" in reply.text
    revision = {"csrf": csrf_of(client, "rita"), "spec_text": "population: [not, a, mapping]"}
    posted = client.post(f"{PREFIX}/research/requests/{theirs}/revise", data=revision, headers=HTML)
    assert posted.status_code == 403 and "Homes pilot cohort" not in posted.text


def _submit_output(client: TestClient) -> int:
    reply = client.post(
        f"{PREFIX}/api/outputs",
        data={
            "project": "dfh-pilot",
            "title": "counts",
            "metadata": json.dumps({"t.csv": {"kind": "other"}}),
        },
        files=[("files", ("t.csv", io.BytesIO(b"a,b\n1,2\n")))],
        headers=NOTEBOOK,
    )
    assert reply.status_code == 200, reply.text
    return int(reply.json()["id"])


def test_only_the_submitter_and_output_checkers_read_an_output_request(
    client: TestClient, signed_in: SignIn
) -> None:
    signed_in("rita")
    output_id = _submit_output(client)
    url = f"{PREFIX}/api/outputs/{output_id}"
    assert client.get(url).json()["id"] == output_id
    signed_in("otto")
    assert client.get(url).json()["id"] == output_id
    for outsider, why in (
        ("ray", "only its submitter and output checkers may see it"),
        ("sam", "output.view needs the role output_checker or researcher"),
    ):
        signed_in(outsider)
        reply = client.get(url)
        assert reply.status_code == 403, outsider
        assert why in reply.json()["detail"]


def test_only_stewards_read_the_linkage_quality_report(
    client: TestClient, signed_in: SignIn
) -> None:
    for person in ("rita", "otto", "eve", "ada"):
        signed_in(person)
        assert client.get(f"{PREFIX}/steward/linkage-report", headers=HTML).status_code == 403
    signed_in("sam")
    reply = client.get(f"{PREFIX}/steward/linkage-report", headers=HTML)
    assert reply.status_code == 404 and "no linkage quality report" in reply.text
