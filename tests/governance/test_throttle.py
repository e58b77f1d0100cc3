"""Login throttling: per name and per source address, in the database, never in clear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from nightingale.governance import throttle
from nightingale.governance.models import LoginThrottle
from nightingale.governance.settings import LoginThrottling
from nightingale.platform import database
from tests.governance.conftest import Platform

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
RULES = LoginThrottling(name_failures=3, source_failures=5, first_pause_seconds=10)


@given(st.integers(0, 100), st.integers(1, 20), st.integers(1, 60), st.integers(1, 3600))
def test_pauses_start_at_the_threshold_double_and_are_bounded(
    failures: int, threshold: int, first: int, longest: int
) -> None:
    pause = throttle.pause_after(failures, threshold, first, longest)
    if failures < threshold:
        assert pause == 0
    else:
        assert 0 < pause <= max(longest, 1)
        assert throttle.pause_after(failures + 1, threshold, first, longest) >= pause


def _fail(platform: Platform, name: str, source: str | None, at: datetime) -> None:
    platform.act(
        lambda s, k: throttle.record_failure(s, throttle.Attempt.of(k, name, source), RULES, at)
    )


def _paused(platform: Platform, name: str, source: str | None, at: datetime) -> float:
    attempt = throttle.Attempt.of(platform.keystore, name, source)
    return platform.read(throttle.paused_for, attempt, at)


def test_a_name_is_paused_from_any_source_and_a_source_for_any_name(
    sqlite_platform: Platform,
) -> None:
    for i in range(3):  # the same name from three addresses
        _fail(sqlite_platform, "rita", f"198.51.100.{i}", NOW)
    assert _paused(sqlite_platform, "rita", "203.0.113.9", NOW) == 10
    assert _paused(sqlite_platform, "ron", "203.0.113.9", NOW) == 0
    for i in range(5):  # five names from one address (spraying)
        _fail(sqlite_platform, f"user{i}", "192.0.2.1", NOW)
    assert _paused(sqlite_platform, "ron", "192.0.2.1", NOW) == 10
    assert _paused(sqlite_platform, "ron", "192.0.2.2", NOW) == 0
    assert _paused(sqlite_platform, "rita", None, NOW + timedelta(seconds=11)) <= 0


def test_the_counts_survive_a_new_engine_and_hold_neither_names_nor_addresses(
    sqlite_platform: Platform,
) -> None:
    for _ in range(4):
        _fail(sqlite_platform, "rita", "192.0.2.1", NOW)
    fresh = Platform(
        database.make_engine(str(sqlite_platform.engine.url)), sqlite_platform.keystore
    )
    try:
        assert _paused(fresh, "rita", None, NOW) == 20  # the 4th failure: 10 s doubled
        rows = fresh.read(lambda s: list(s.scalars(select(LoginThrottle))))
    finally:
        fresh.engine.dispose()
    stored = " ".join(f"{r.key} {r.kind}" for r in rows)
    assert "rita" not in stored and "192.0.2.1" not in stored
    assert sorted(r.kind for r in rows) == ["name", "source"]


def test_a_good_password_forgets_the_names_failures_but_not_the_sources(
    sqlite_platform: Platform,
) -> None:
    for _ in range(5):
        _fail(sqlite_platform, "rita", "192.0.2.1", NOW)
    sqlite_platform.act(
        lambda s, k: throttle.record_success(s, throttle.Attempt.of(k, "rita", "192.0.2.1"))
    )
    assert _paused(sqlite_platform, "rita", "192.0.2.7", NOW) == 0
    assert _paused(sqlite_platform, "rita", "192.0.2.1", NOW) > 0
