"""Bad input answers 4xx with a reason, never 5xx (the cases the fuzzer found, kept as tests).

:mod:`tests.web.test_fuzz` searches the whole API for server errors; each one it found on
the way is pinned here as a plain example, so it stays fixed even if the fuzzer's
examples change.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PREFIX, SignIn, csrf_of

HTML = {"accept": "text/html"}
TOO_BIG = 2**63  # no row id, and more than a database integer holds


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("rita", f"/api/outputs/{TOO_BIG}"),
        ("rita", f"/research/requests/{TOO_BIG}"),
        ("rita", f"/research/requests/{TOO_BIG}/revise"),
        ("sam", f"/steward/requests/{TOO_BIG}"),
        ("otto", f"/airlock/{TOO_BIG}"),
        ("sam", f"/jobs/{TOO_BIG}"),
        ("rita", "/api/outputs/0"),
        ("rita", "/api/outputs/-1"),
    ],
)
def test_a_path_id_out_of_range_is_refused_as_bad_input(
    client: TestClient, signed_in: SignIn, who: str, path: str
) -> None:
    signed_in(who)
    reply = client.get(f"{PREFIX}{path}")
    assert reply.status_code == 422, reply.text


def test_a_form_post_with_an_id_out_of_range_is_refused_as_bad_input(
    client: TestClient, signed_in: SignIn
) -> None:
    signed_in("sam")
    reply = client.post(
        f"{PREFIX}/steward/requests/{TOO_BIG}/decision",
        data={"csrf": csrf_of(client, "sam"), "decision": "approve", "reason": "x"},
        headers=HTML,
    )
    assert reply.status_code == 422
