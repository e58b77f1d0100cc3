"""Whatever is sent to the service, it never answers 5xx: bad input is the caller's 4xx.

Schemathesis reads the service's own OpenAPI description and sends every operation
generated requests (path ids of any size, missing and mistyped fields, odd JSON and form
bodies), on a real SQLite governance database, signed in as a researcher and as a data
steward. A 5xx means an input the code did not expect reached somewhere it could fail;
the fix is at that place, and the failing example is the regression test.

Bounded (a few examples per operation) and derandomised, so CI sees the same requests
on every run and the whole file stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation

from tests.web.conftest import PREFIX, SignIn, csrf_of
from tests.workspace_world import World

EXAMPLES = 6
"""Examples per operation, mode and person: every route, quickly (raise locally to dig)."""
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
"""Requests the schema allows, and requests it does not (missing, mistyped, out of range)."""


def _negatable(operation: APIOperation) -> bool:
    """Whether a request can break the schema: a body, a typed or an omissible parameter.

    (A route whose only inputs are path strings takes any string: nothing to negate.)
    """
    raw = operation.definition.raw
    return "requestBody" in raw or any(
        parameter.get("schema", {}).get("type") != "string"
        or (parameter.get("in") != "path" and parameter.get("required", False))
        for parameter in raw.get("parameters", [])
    )


def _server_errors(client: TestClient, signed_in: SignIn, world: World, username: str) -> list[str]:
    """Fuzz every operation as ``username``; one line per operation that answered 5xx."""
    world.released()
    signed_in(username)
    csrf = csrf_of(client, username)
    schema = schemathesis.openapi.from_asgi(f"{PREFIX}/openapi.json", client.app)
    failures = []
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode in MODES if _negatable(operation) else MODES[:1]:

            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Case) -> None:
                # The session's real CSRF token, so generated forms reach the route itself.
                if isinstance(case.body, dict) and "csrf" in case.body:
                    case.body["csrf"] = csrf
                case.call_and_validate(checks=[not_a_server_error])

            try:
                send()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid (no parameters, any string)
            except Exception as exc:
                failures.append(f"{operation.label} ({mode}): {exc}")
    return failures


@pytest.mark.slow
def test_no_request_from_a_researcher_gets_a_server_error(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    failures = _server_errors(client, signed_in, world, "rita")
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
def test_no_request_from_a_steward_gets_a_server_error(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    failures = _server_errors(client, signed_in, world, "sam")
    assert not failures, "\n\n".join(failures)
