"""The service on a real governance database, with the hub's answer about identity given.

FastAPI's TestClient runs the real app on a fresh data root built through governance's
API. The one stand-in is the hub's identity answer: :func:`signed_in` overrides the two
identity dependencies with the person the hub would name. The hub's real OAuth round
trip is exercised by the end-to-end tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from fastapi.testclient import TestClient
from jupyterhub.services.auth import HubOAuth

from nightingale.platform.settings import Settings
from nightingale.web.auth import HubGate, HubIdentity
from nightingale.web.dependencies import api_identity, browser_identity
from nightingale.web.main import create_app
from tests.workspace_world import World, build_world

PREFIX = "/services/governance"
NOTEBOOK = {"authorization": "token the-servers-hub-token"}
"""How the workspace client authenticates: its hub token (exempt from the CSRF check)."""


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings)


@contextmanager
def service_client(settings: Settings) -> Iterator[TestClient]:
    """The service on ``settings``'s data root, behind a hub that tests stand in for."""
    oauth = HubOAuth(
        api_token="test-service-token",
        oauth_client_id="service-governance",
        base_url=f"{PREFIX}/",
        hub_prefix="/hub/",
        hub_host="",
    )
    app = create_app(settings, gate=HubGate(oauth))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with service_client(world.settings) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str) -> None:
    """Make the hub name ``username`` as the owner of the browser session and API token."""
    identity = HubIdentity(username=username, token=f"hub-token-of-{username}")
    client.app.dependency_overrides[browser_identity] = lambda: identity  # type: ignore[attr-defined]
    client.app.dependency_overrides[api_identity] = lambda: identity  # type: ignore[attr-defined]


SignIn = Callable[[str], None]


@pytest.fixture
def signed_in(client: TestClient) -> SignIn:
    """:func:`sign_in` on this test's client."""
    return partial(sign_in, client)


def csrf_of(client: TestClient, username: str) -> str:
    gate: HubGate = client.app.state.gate  # type: ignore[attr-defined]
    return gate.csrf_token(f"hub-token-of-{username}")
