"""The clerical review pages: for linkage stewards only, identifiers shown once per request.

A steward with the linkage role sees the run's sample by stratum with the estimates
before and after review, opens a pair (both records side by side, not cached, audited)
and decides it with the form (CSRF as the other steward forms). A plain steward, a
researcher, an evaluator and the linkage officer alone are refused the pages and the
decision; a decision on a pair outside the sample is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from nightingale.cli.governance_demo import OFFICER
from nightingale.governance import audit
from nightingale.linkage.review import pair_key
from nightingale.operations import review
from nightingale.operations.unit import open_unit
from tests.operations.review_world import REVIEWERS, ReviewWorld, review_world
from tests.web.conftest import PREFIX, csrf_of, service_client, sign_in

HTML = {"accept": "text/html"}
RHEA, ROWAN = REVIEWERS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> ReviewWorld:
    return review_world(tmp_path_factory.mktemp("web-review"))


@pytest.fixture(scope="module")
def client(world: ReviewWorld) -> Iterator[TestClient]:
    with service_client(world.settings) as test_client:
        yield test_client


def _keys(world: ReviewWorld) -> list[str]:
    with open_unit(world.settings, RHEA) as unit:
        return [row.pair_key for s in review.sample(unit, world.run_id) for row in s.rows]


def _run_page(world: ReviewWorld) -> str:
    return f"{PREFIX}/steward/linkage/{world.run_id}/review"


def _pair_page(world: ReviewWorld, key: str) -> str:
    return f"{_run_page(world)}/pairs/{quote(key, safe='')}"


def test_the_run_page_lists_the_sample_by_stratum_with_the_estimates(
    client: TestClient, world: ReviewWorld
) -> None:
    sign_in(client, RHEA)
    page = client.get(_run_page(world), headers=HTML)
    assert page.status_code == 200, page.text
    assert "Before review" in page.text and "weight" in page.text
    assert 'id="review-progress"' in page.text
    assert _keys(world)[0] in page.text
    current = client.get(f"{PREFIX}/steward/linkage/review", headers=HTML)
    assert current.status_code == 303 and current.headers["location"].endswith(_run_page(world))


def test_the_pair_page_shows_both_records_not_cached_and_audited(
    client: TestClient, world: ReviewWorld
) -> None:
    sign_in(client, RHEA)
    key = _keys(world)[0]
    page = client.get(_pair_page(world, key), headers=HTML)
    assert page.status_code == 200, page.text
    assert 'id="pair-identifiers"' in page.text and "NHS number" in page.text
    assert page.headers["cache-control"] == "no-store"
    with open_unit(world.settings, RHEA) as unit:
        view = review.show(unit, world.run_id, key)
    assert view.left["family_name"] in page.text and view.right["family_name"] in page.text
    with open_unit(world.settings, "reader") as unit:
        viewed = [
            audit.details_of(e)
            for e in audit.entries(unit.session, action_prefix="linkage_review.viewed")
        ]
    assert {"pair": key} in viewed


def test_a_decision_through_the_form_is_recorded_and_updates_the_estimates(
    client: TestClient, world: ReviewWorld
) -> None:
    sign_in(client, ROWAN)
    key = _keys(world)[1]
    form = {"csrf": csrf_of(client, ROWAN), "decision": "non-match", "note": ""}
    done = client.post(f"{_pair_page(world, key)}/decision", data=form)
    assert done.status_code == 303, done.text
    page = client.get(_run_page(world), headers=HTML).text
    assert 'id="estimates-after"' in page and "1 decided pairs" in page
    again = client.post(f"{_pair_page(world, key)}/decision", data=form)
    assert again.status_code == 403 and "already decided" in again.text
    revised = client.post(
        f"{_pair_page(world, key)}/decision", data={**form, "decision": "match", "revise": "1"}
    )
    assert revised.status_code == 303


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, world: ReviewWorld) -> None:
    sign_in(client, RHEA)
    key = _keys(world)[2]
    refused = client.post(f"{_pair_page(world, key)}/decision", data={"decision": "match"})
    assert refused.status_code == 400


@pytest.mark.parametrize("who", ["sam", "rita", "eve", OFFICER])
def test_others_cannot_open_the_pages_or_decide(
    client: TestClient, world: ReviewWorld, who: str
) -> None:
    sign_in(client, who)
    key = _keys(world)[0]
    assert client.get(_run_page(world), headers=HTML).status_code == 403
    page = client.get(_pair_page(world, key), headers=HTML)
    assert page.status_code == 403 and 'id="pair-identifiers"' not in page.text
    form = {"csrf": csrf_of(client, who), "decision": "match"}
    assert client.post(f"{_pair_page(world, key)}/decision", data=form).status_code == 403
    home = client.get(f"{PREFIX}/", headers=HTML).text
    assert "Clerical review" not in home


def test_a_pair_outside_the_sample_is_refused(client: TestClient, world: ReviewWorld) -> None:
    sign_in(client, RHEA)
    key = pair_key("health", "made-up", "housing", "made-up")
    assert client.get(_pair_page(world, key), headers=HTML).status_code == 403
    form = {"csrf": csrf_of(client, RHEA), "decision": "match"}
    refused = client.post(f"{_pair_page(world, key)}/decision", data=form)
    assert refused.status_code == 403 and "not in the review sample" in refused.text
