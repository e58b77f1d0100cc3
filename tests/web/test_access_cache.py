"""The API's per-person access cache: reused while nothing changed, never past a revocation.

The service keeps what a person may read for a moment, because notebooks ask often. Each
test that revokes makes the cache's time limit an hour, so only the audit-log check can
make the revocation show: a cache that trusted its timer alone would fail them.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from nightingale.governance import people, releases
from nightingale.platform.database import session_scope
from nightingale.web.access_cache import AccessCache
from nightingale.web.stamp import StampReader
from tests.web.conftest import PREFIX, SignIn
from tests.workspace_world import World

HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _cache(world: World, ttl: float = 2.0, **options: object) -> AccessCache:
    return AccessCache(world.engine, ttl, **options)  # type: ignore[arg-type]


def _release_ids(client: TestClient) -> list[str]:
    reply = client.get(f"{PREFIX}/api/releases")
    assert reply.status_code == 200, reply.text
    return [r["release_id"] for r in reply.json()]


def _cache_of(client: TestClient) -> AccessCache:
    cache: AccessCache = client.app.state.access_cache  # type: ignore[attr-defined]
    return cache


# -- the rule, on its own ----------------------------------------------------------------


def test_an_answer_is_reused_while_the_stamp_is_the_same_and_it_is_young(world: World) -> None:
    clock, calls = Clock(), []
    cache = _cache(world, ttl=2.0, clock=clock)
    stamp = cache.stamp()
    assert cache.get(stamp, "rita", lambda: calls.append(1) or "first") == "first"
    clock.now = 1.9
    assert cache.get(stamp, "rita", lambda: calls.append(1) or "second") == "first"
    assert len(calls) == 1


def test_an_answer_older_than_its_time_limit_is_computed_again(world: World) -> None:
    clock = Clock()
    cache = _cache(world, ttl=2.0, clock=clock)
    stamp = cache.stamp()
    cache.get(stamp, "rita", lambda: "first")
    clock.now = 2.0
    assert cache.get(stamp, "rita", lambda: "second") == "second"


def test_any_new_audit_entry_makes_every_answer_stale(world: World) -> None:
    cache = _cache(world, ttl=HOUR)
    before = cache.stamp()
    cache.get(before, "rita", lambda: "before")
    world.submitted_request()  # audited, like every change to governance state
    after = cache.stamp()
    assert after[0] > before[0] and after[1] == date.today()
    assert cache.get(after, "rita", lambda: "after") == "after"


def test_a_time_limit_of_zero_turns_the_cache_off(world: World) -> None:
    cache = _cache(world, ttl=0)
    stamp = cache.stamp()
    cache.get(stamp, "rita", lambda: "first")
    assert cache.get(stamp, "rita", lambda: "second") == "second"


def test_what_the_computation_raises_is_not_kept(world: World) -> None:
    cache = _cache(world)
    stamp = cache.stamp()

    def refuse() -> str:
        raise PermissionError("no")

    with pytest.raises(PermissionError):
        cache.get(stamp, "rita", refuse)
    assert cache.get(stamp, "rita", lambda: "allowed") == "allowed"


def test_an_answer_from_an_older_snapshot_does_not_replace_a_newer_one(world: World) -> None:
    cache = _cache(world, ttl=HOUR)
    old = cache.stamp()
    new = (old[0] + 1, old[1])
    cache.get(new, "rita", lambda: "new")
    cache.get(old, "rita", lambda: "old")
    assert cache.get(new, "rita", lambda: "recomputed") == "new"


def test_people_asking_at_once_share_one_computation(world: World) -> None:
    cache = _cache(world, ttl=HOUR)
    stamp = cache.stamp()
    calls, answers = [], []
    start = threading.Barrier(8)

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "answer"

    def ask() -> None:
        start.wait()
        answers.append(cache.get(stamp, "rita", slow))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["answer"] * 8 and len(calls) == 1


def test_the_cache_holds_at_most_its_number_of_people(world: World) -> None:
    cache = _cache(world, ttl=HOUR, max_entries=3)
    stamp = cache.stamp()
    for name in ("a", "b", "c", "d", "e"):
        cache.get(stamp, name, lambda name=name: name)  # type: ignore[misc]
    assert len(cache) == 3
    assert cache.get(stamp, "a", lambda: "again") == "again"  # the oldest went first


# -- in the service ----------------------------------------------------------------------


def test_a_repeated_call_asks_the_database_one_question_on_the_event_loop(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    world.released()
    signed_in("rita")
    _cache_of(client).ttl = HOUR
    assert _release_ids(client) == ["r1-dfh-pilot"]
    stamps: StampReader = client.app.state.stamps  # type: ignore[attr-defined]
    direct = stamps.direct_reads
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = client.app.state.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert _release_ids(client) == ["r1-dfh-pilot"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The one question, whether governance changed, read directly: no pooled query at all.
    assert statements == [] and stamps.direct_reads == direct + 1


def test_a_revoked_release_leaves_the_api_at_once_whoever_revoked_it(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    release_id = world.released()
    signed_in("rita")
    _cache_of(client).ttl = HOUR
    assert _release_ids(client) == [release_id]
    assert _release_ids(client) == [release_id]  # now answered from the cache
    # Revoked outside the service (as `nightingale enforce` or another process would).
    with session_scope(world.engine) as session:
        releases.revoke_release(
            session, world.keystore, by="sam", release_id=release_id, reason="consent withdrawn"
        )
    assert _release_ids(client) == []


def test_a_deactivated_person_is_refused_at_once(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("rita")
    _cache_of(client).ttl = HOUR
    assert client.get(f"{PREFIX}/api/me").status_code == 200
    with session_scope(world.engine) as session:
        people.deactivate(session, world.keystore, by="ada", username="rita")
    reply = client.get(f"{PREFIX}/api/me")
    assert reply.status_code == 403 and "deactivated" in reply.json()["detail"]


def test_new_roles_show_at_once(client: TestClient, signed_in: SignIn, world: World) -> None:
    signed_in("rita")
    _cache_of(client).ttl = HOUR
    assert client.get(f"{PREFIX}/api/me").json()["roles"] == ["researcher"]
    with session_scope(world.engine) as session:
        people.set_roles(
            session, world.keystore, by="ada", username="rita", roles=["researcher", "evaluator"]
        )
    assert client.get(f"{PREFIX}/api/me").json()["roles"] == ["evaluator", "researcher"]


def test_each_person_has_their_own_answer(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    release_id = world.released()
    _cache_of(client).ttl = HOUR
    signed_in("rita")
    assert _release_ids(client) == [release_id]
    signed_in("ray")  # a member of the other project only
    assert _release_ids(client) == []
    assert client.get(f"{PREFIX}/api/me").json()["username"] == "ray"
