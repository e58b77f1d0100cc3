"""The service's hub token check: one question to the hub per token per minute.

Fifty notebook calls arriving at once with the same token were fifty hub API calls before
the first answer could be cached. Now the hub is asked once per token per minute (as
HubOAuth's cache did before), callers with the same token wait for the one check in
flight, a caller that goes away does not take the others' answer with it, a refusal is a
refusal for every waiter, and a failed check is not kept.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nightingale.web.auth import HubGate, HubIdentity


class FakeHub:
    """A stand-in for :class:`HubOAuth`: counts the questions and answers after a pause."""

    access_scopes = frozenset({"access:services!service=governance"})

    def __init__(self, models: dict[str, dict[str, Any]]) -> None:
        self.models = models
        self.asked: list[str] = []
        self.release = asyncio.Event()

    async def user_for_token(
        self, token: str, *, sync: bool, use_cache: bool = True
    ) -> dict[str, Any] | None:
        assert sync is False and use_cache is False  # the gate keeps the answers itself
        self.asked.append(token)
        await self.release.wait()
        return self.models.get(token)

    def check_scopes(self, needed: frozenset[str], model: dict[str, Any]) -> frozenset[str]:
        return needed & set(model.get("scopes", []))


RITA = {"name": "rita", "kind": "user", "scopes": ["access:services!service=governance"]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _gate(hub: FakeHub, clock: Clock | None = None) -> HubGate:
    return HubGate(hub, clock=clock or Clock())  # type: ignore[arg-type]


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_concurrent_requests_with_one_token_share_one_hub_check() -> None:
    async def scenario() -> tuple[list[HubIdentity | None], list[str]]:
        hub = FakeHub({"t-rita": RITA})
        gate = _gate(hub)
        waiting = [asyncio.ensure_future(gate.identify("t-rita")) for _ in range(20)]
        await _settle()
        hub.release.set()
        return list(await asyncio.gather(*waiting)), hub.asked

    answers, asked = asyncio.run(scenario())
    assert asked == ["t-rita"]
    assert answers == [HubIdentity(username="rita", token="t-rita")] * 20


def test_different_tokens_are_checked_separately() -> None:
    async def scenario() -> tuple[list[HubIdentity | None], list[str]]:
        hub = FakeHub({"t-rita": RITA, "t-ray": RITA | {"name": "ray"}})
        gate = _gate(hub)
        waiting = [asyncio.ensure_future(gate.identify(t)) for t in ("t-rita", "t-ray") * 3]
        await _settle()
        hub.release.set()
        return list(await asyncio.gather(*waiting)), hub.asked

    answers, asked = asyncio.run(scenario())
    assert sorted(asked) == ["t-ray", "t-rita"]
    assert [a.username for a in answers if a] == ["rita", "ray"] * 3


def test_a_refusal_is_shared_by_every_waiter() -> None:
    async def scenario() -> list[HubIdentity | None]:
        no_scope = RITA | {"scopes": []}
        hub = FakeHub({"t-rita": no_scope})
        gate = _gate(hub)
        waiting = [asyncio.ensure_future(gate.identify("t-rita")) for _ in range(5)]
        await _settle()
        hub.release.set()
        return list(await asyncio.gather(*waiting))

    assert asyncio.run(scenario()) == [None] * 5


def test_a_caller_that_goes_away_does_not_cancel_the_others_check() -> None:
    async def scenario() -> HubIdentity | None:
        hub = FakeHub({"t-rita": RITA})
        gate = _gate(hub)
        first = asyncio.ensure_future(gate.identify("t-rita"))
        second = asyncio.ensure_future(gate.identify("t-rita"))
        await _settle()
        first.cancel()
        await _settle()
        hub.release.set()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(scenario()) == HubIdentity(username="rita", token="t-rita")


def test_a_check_that_fails_fails_its_waiters_and_the_next_call_asks_again() -> None:
    class Down(FakeHub):
        async def user_for_token(
            self, token: str, *, sync: bool, use_cache: bool = True
        ) -> dict[str, Any] | None:
            self.asked.append(token)
            await self.release.wait()
            if len(self.asked) == 1:
                raise ConnectionError("hub down")
            return self.models.get(token)

    async def scenario() -> tuple[list[object], HubIdentity | None, list[str]]:
        hub = Down({"t-rita": RITA})
        gate = _gate(hub)
        waiting = [asyncio.ensure_future(gate.identify("t-rita")) for _ in range(3)]
        await _settle()
        hub.release.set()
        failed = list(await asyncio.gather(*waiting, return_exceptions=True))
        return failed, await gate.identify("t-rita"), hub.asked

    failed, later, asked = asyncio.run(scenario())
    assert all(isinstance(f, ConnectionError) for f in failed)
    assert later == HubIdentity(username="rita", token="t-rita")
    assert asked == ["t-rita", "t-rita"]


def test_an_empty_token_never_reaches_the_hub() -> None:
    hub = FakeHub({})
    assert asyncio.run(_gate(hub).identify("")) is None
    assert hub.asked == []


def test_the_hub_is_asked_once_per_token_per_minute() -> None:
    async def scenario() -> tuple[list[HubIdentity | None], list[str]]:
        hub, clock = FakeHub({"t-rita": RITA}), Clock()
        hub.release.set()
        gate = _gate(hub, clock)
        answers = [await gate.identify("t-rita")]
        clock.now = 59.9
        answers.append(await gate.identify("t-rita"))
        asked_within = list(hub.asked)
        clock.now = 60.0
        answers.append(await gate.identify("t-rita"))
        return answers, [*asked_within, "|", *hub.asked]

    answers, asked = asyncio.run(scenario())
    assert answers == [HubIdentity(username="rita", token="t-rita")] * 3
    assert asked == ["t-rita", "|", "t-rita", "t-rita"]


def test_a_token_the_hub_stops_accepting_is_refused_after_the_minute() -> None:
    async def scenario() -> tuple[HubIdentity | None, HubIdentity | None]:
        hub, clock = FakeHub({"t-rita": RITA}), Clock()
        hub.release.set()
        gate = _gate(hub, clock)
        before = await gate.identify("t-rita")
        del hub.models["t-rita"]  # revoked at the hub
        clock.now = 60.0
        return before, await gate.identify("t-rita")

    before, after = asyncio.run(scenario())
    assert before is not None and after is None
