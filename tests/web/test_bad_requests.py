"""Bad and forged requests: answered 4xx (never 500), refused before anything is stored,
and each refusal audited (``request.rejected``, no values from the request)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from jupyterhub.services.auth import HubOAuth

from nightingale.governance import audit
from nightingale.governance.models import OutputRequest
from nightingale.platform.database import session_scope
from nightingale.web.auth import HubGate, HubIdentity
from nightingale.web.dependencies import api_identity, browser_identity
from nightingale.web.main import create_app
from tests.web.conftest import NOTEBOOK, PREFIX, SignIn, csrf_of
from tests.workspace_world import World

URL = f"{PREFIX}/api/outputs"
FORM = {"project": "dfh-pilot", "title": "counts"}
CSV = b"a,b\n1,2\n"


def _post(
    client: TestClient,
    *,
    files: list[tuple[str, bytes]] | None = None,
    metadata: str | None = None,
    headers: dict[str, str] | None = None,
) -> object:
    data = FORM | ({"metadata": metadata} if metadata is not None else {})
    uploads = [("files", (name, io.BytesIO(body))) for name, body in (files or [("t.csv", CSV)])]
    return client.post(URL, data=data, files=uploads, headers=headers or {})  # fmt: skip


def _rejections(world: World) -> list[dict[str, object]]:
    with session_scope(world.engine) as session:
        return [
            {"actor": e.actor, "object": e.object_id, **audit.details_of(e)}
            for e in audit.entries(session, action_prefix="request.rejected")
        ]


def _stored_outputs(world: World) -> int:
    with session_scope(world.engine) as session:
        return session.query(OutputRequest).count()


# -- CSRF: a cookie call must carry the session's token; a hub token is exempt ----------------


def test_a_cookie_call_without_the_csrf_token_is_refused_and_audited(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    """What another site can make a logged-in researcher's browser send: the cookie, a
    multipart form, no Authorization header and no custom header."""
    signed_in("rita")
    forged = _post(client, metadata="{}")
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert "CSRF token" in forged.json()["detail"]  # type: ignore[attr-defined]
    wrong = _post(client, metadata="{}", headers={"X-CSRF-Token": csrf_of(client, "ray")})
    assert wrong.status_code == 403  # type: ignore[attr-defined]
    assert _stored_outputs(world) == 0
    assert [(r["actor"], r["status"], r["reason"]) for r in _rejections(world)] == [
        ("rita", 403, "cookie call without the session's CSRF token")
    ] * 2
    with_token = _post(client, metadata="{}", headers={"X-CSRF-Token": csrf_of(client, "rita")})
    assert with_token.status_code == 200, with_token.text  # type: ignore[attr-defined]
    from_a_notebook = _post(client, metadata="{}", headers=NOTEBOOK)
    assert from_a_notebook.status_code == 200  # type: ignore[attr-defined]
    assert _stored_outputs(world) == 2


def test_the_real_identity_path_tells_cookie_calls_from_hub_token_calls(world: World) -> None:
    """Without the test override: a cookie-only call needs the token, a header call not."""

    class KnownTokens(HubGate):
        async def identify(self, token: str) -> HubIdentity | None:
            return HubIdentity("rita", token) if token == "ritas-token" else None

    oauth = HubOAuth(api_token="t", oauth_client_id="service-governance",
                     base_url=f"{PREFIX}/", hub_prefix="/hub/", hub_host="")  # fmt: skip
    app = create_app(world.settings, gate=KnownTokens(oauth))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.cookies.set("nightingale-session", "ritas-token")
        assert _post(client, metadata="{}").status_code == 403  # type: ignore[attr-defined]
        csrf = {"X-CSRF-Token": app.state.gate.csrf_token("ritas-token")}
        assert _post(client, metadata="{}", headers=csrf).status_code == 200  # type: ignore[attr-defined]
        client.cookies.clear()
        header = {"authorization": "token ritas-token"}
        assert _post(client, metadata="{}", headers=header).status_code == 200  # type: ignore[attr-defined]


# -- uploads: names, metadata, sizes --------------------------------------------------------


@pytest.mark.parametrize("name", ["..", "../t.csv", "sub/t.csv", "..\\t.csv"])
def test_a_file_name_with_path_parts_is_refused_with_422(
    client: TestClient, signed_in: SignIn, world: World, name: str
) -> None:
    signed_in("rita")
    reply = _post(client, files=[(name, CSV)], metadata="{}", headers=NOTEBOOK)
    assert reply.status_code == 422, reply.text  # type: ignore[attr-defined]
    assert "not a plain file name" in reply.json()["detail"]  # type: ignore[attr-defined]
    assert _stored_outputs(world) == 0
    (rejected,) = _rejections(world)
    assert rejected["reason"] == "file name is not a plain name" and rejected["status"] == 422
    assert name not in json.dumps(rejected)  # the audit holds no value from the request


@pytest.mark.parametrize(
    "metadata",
    [
        "[]",
        "not json",
        '{"t.csv": {"kind": 5}}',
        '{"t.csv": {"sdc": []}}',
        '{"other.csv": {"kind": "table"}}',
    ],
)
def test_metadata_of_the_wrong_shape_is_refused_with_422(
    client: TestClient, signed_in: SignIn, world: World, metadata: str
) -> None:
    signed_in("rita")
    reply = _post(client, metadata=metadata, headers=NOTEBOOK)
    assert reply.status_code == 422, reply.text  # type: ignore[attr-defined]
    assert "metadata" in reply.json()["detail"]  # type: ignore[attr-defined]
    assert _stored_outputs(world) == 0
    assert [r["status"] for r in _rejections(world)] == [422]


def test_a_missing_field_is_refused_with_422_and_audited(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("rita")
    reply = client.post(URL, data={"project": "dfh-pilot"}, headers=NOTEBOOK)
    assert reply.status_code == 422
    (rejected,) = _rejections(world)
    assert "body.title" in str(rejected["reason"]) and "body.files" in str(rejected["reason"])


@pytest.fixture
def small_client(world: World) -> Iterator[TestClient]:
    """The service with caps of 1 kB per file and 4 kB per request."""
    caps = {"output_max_file_bytes": 1000, "output_max_request_bytes": 4000}
    settings = world.settings.model_copy(update={"governance": caps})
    oauth = HubOAuth(api_token="t", oauth_client_id="service-governance",
                     base_url=f"{PREFIX}/", hub_prefix="/hub/", hub_host="")  # fmt: skip
    app = create_app(settings, gate=HubGate(oauth))
    rita = HubIdentity(username="rita", token="hub-token-of-rita")
    app.dependency_overrides[browser_identity] = lambda: rita
    app.dependency_overrides[api_identity] = lambda: rita
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def test_a_file_over_the_cap_is_refused_with_413(small_client: TestClient, world: World) -> None:
    assert _post(small_client, files=[("t.csv", b"a\n" * 400)], headers=NOTEBOOK).status_code == 200  # type: ignore[attr-defined]
    reply = _post(small_client, files=[("t.csv", b"a\n" * 600)], headers=NOTEBOOK)
    assert reply.status_code == 413  # type: ignore[attr-defined]
    assert _stored_outputs(world) == 1
    (rejected,) = _rejections(world)
    assert rejected == {"actor": "rita", "object": URL, "method": "POST", "status": 413,
                        "reason": "a file over 1000 bytes"}  # fmt: skip


def test_a_request_over_the_cap_is_refused_with_413_declared_or_streamed(
    small_client: TestClient, world: World
) -> None:
    big = [(f"t{i}.csv", b"a\n" * 450) for i in range(6)]  # each file under its cap
    declared = _post(small_client, files=big, headers=NOTEBOOK)
    assert declared.status_code == 413  # type: ignore[attr-defined]

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    streamed = small_client.post(
        URL,
        content=chunks(),
        headers=NOTEBOOK | {"content-type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert _stored_outputs(world) == 0
    assert [(r["status"], r["reason"]) for r in _rejections(world)] == [
        (413, "request body over 4000 bytes")
    ] * 2
