"""The access cache's freshness check read on the event loop: never stale, never waiting.

The stamp (has governance changed since a cached answer was computed?) is what makes a
revocation show on the very next API call. On SQLite it is read on a connection of the
service's own, with a busy timeout of 0, so it can never hold the event loop behind a
writer; on PostgreSQL it is the engine's read, in the thread pool. Either way a change
committed between two requests must be seen by the second.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from nightingale.governance import people, releases
from nightingale.platform.database import session_scope
from nightingale.platform.settings import Settings
from nightingale.web.access_cache import AccessCache
from nightingale.web.auth import HubIdentity
from nightingale.web.dependencies import api_identity
from nightingale.web.stamp import StampReader
from tests.web.conftest import NOTEBOOK, PREFIX, service_client
from tests.workspace_world import World, build_world

HOUR = 3600.0


def _reader(world: World) -> StampReader:
    return StampReader(AccessCache(world.engine, HOUR))


# -- the reader, on SQLite -----------------------------------------------------------------


def test_on_sqlite_the_stamp_is_read_directly_and_equals_the_pooled_read(world: World) -> None:
    reader = _reader(world)
    assert reader.direct
    assert reader.read_now() == reader.cache.stamp()
    assert reader.direct_reads == 1
    reader.close()


def test_a_change_committed_between_two_reads_shows_in_the_second(world: World) -> None:
    reader = _reader(world)
    before = reader.read_now()
    world.submitted_request()  # audited, like every change to governance state
    after = reader.read_now()
    assert before is not None and after is not None and after[0] > before[0]
    reader.close()


class _Busy:
    """A connection on which SQLite answers SQLITE_BUSY, as while a writer holds the file."""

    def execute(self, _sql: str) -> sqlite3.Cursor:
        raise sqlite3.OperationalError("database is locked")

    def close(self) -> None:
        pass


def test_a_busy_database_is_never_waited_for_on_the_loop_but_read_in_the_pool(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = _reader(world)
    monkeypatch.setattr(reader, "_connection", _Busy())
    assert reader.read_now() is None  # no waiting, no stale answer
    monkeypatch.undo()
    import anyio

    assert anyio.run(reader.read) == reader.cache.stamp()  # the pooled read answers
    reader.close()


def test_a_real_sqlite_lock_makes_the_direct_read_give_way_not_wait(world: World) -> None:
    reader = _reader(world)
    path = world.engine.url.database
    assert path is not None
    world.engine.dispose()
    reader.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # leave WAL, so a writer locks readers out
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert reader.read_now() is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert reader.read_now() == reader.cache.stamp()
    reader.close()


def test_a_reader_in_use_sends_a_second_caller_to_the_pool(world: World) -> None:
    reader = _reader(world)
    with reader._busy:  # another caller is reading
        assert reader.read_now() is None
    reader.close()


def test_an_in_memory_database_is_never_read_directly(settings: Settings) -> None:
    from sqlalchemy import create_engine

    reader = StampReader(AccessCache(create_engine("sqlite://"), HOUR))
    assert not reader.direct and reader.read_now() is None


# -- in the service, on SQLite and on PostgreSQL -------------------------------------------


@pytest.fixture
def any_world(settings: Settings, database_url: str) -> Iterator[World]:
    world = build_world(settings.model_copy(update={"database_url": database_url}))
    yield world
    world.engine.dispose()


@pytest.fixture
def any_client(any_world: World) -> Iterator[TestClient]:
    with service_client(any_world.settings) as client:
        client.app.state.access_cache.ttl = HOUR  # type: ignore[attr-defined]
        yield client


def _as(client: TestClient, username: str) -> None:
    identity = HubIdentity(username=username, token=f"hub-token-of-{username}")
    client.app.dependency_overrides[api_identity] = lambda: identity  # type: ignore[attr-defined]


def _release_ids(client: TestClient) -> list[str]:
    reply = client.get(f"{PREFIX}/api/releases", headers=NOTEBOOK)
    assert reply.status_code == 200, reply.text
    return [r["release_id"] for r in reply.json()]


def test_the_stamp_is_read_directly_only_on_sqlite(
    any_client: TestClient, any_world: World
) -> None:
    stamps: StampReader = any_client.app.state.stamps  # type: ignore[attr-defined]
    assert stamps.direct == (any_world.engine.dialect.name == "sqlite")


def test_a_revocation_between_two_requests_is_honoured_by_the_next(
    any_client: TestClient, any_world: World
) -> None:
    release_id = any_world.released()
    _as(any_client, "rita")
    assert _release_ids(any_client) == [release_id]
    assert _release_ids(any_client) == [release_id]  # from the cache
    with session_scope(any_world.engine) as session:
        releases.revoke_release(
            session, any_world.keystore, by="sam", release_id=release_id, reason="withdrawn"
        )
    assert _release_ids(any_client) == []


def test_a_deactivation_between_two_requests_is_honoured_by_the_next(
    any_client: TestClient, any_world: World
) -> None:
    _as(any_client, "rita")
    assert any_client.get(f"{PREFIX}/api/me", headers=NOTEBOOK).status_code == 200
    assert any_client.get(f"{PREFIX}/api/me", headers=NOTEBOOK).status_code == 200
    with session_scope(any_world.engine) as session:
        people.deactivate(session, any_world.keystore, by="ada", username="rita")
    reply = any_client.get(f"{PREFIX}/api/me", headers=NOTEBOOK)
    assert reply.status_code == 403 and "deactivated" in reply.json()["detail"]


def test_a_change_of_roles_between_two_requests_is_honoured_by_the_next(
    any_client: TestClient, any_world: World
) -> None:
    _as(any_client, "rita")
    me = f"{PREFIX}/api/me"
    assert any_client.get(me, headers=NOTEBOOK).json()["roles"] == ["researcher"]
    with session_scope(any_world.engine) as session:
        people.set_roles(
            session,
            any_world.keystore,
            by="ada",
            username="rita",
            roles=["researcher", "evaluator"],
        )
    assert any_client.get(me, headers=NOTEBOOK).json()["roles"] == ["evaluator", "researcher"]
