"""The service's sizes: read from the environment, checked, and applied to the app."""

from __future__ import annotations

import pytest

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings
from nightingale.web.main import create_app
from nightingale.web.tuning import ServiceTuning


def test_the_defaults_give_every_thread_a_database_connection() -> None:
    tuning = ServiceTuning()
    assert tuning.pool_size + tuning.pool_overflow >= tuning.threads


def test_each_size_can_be_set_from_the_environment() -> None:
    tuning = ServiceTuning.from_environment(
        {
            "NIGHTINGALE_SERVICE_THREADS": "16",
            "NIGHTINGALE_SERVICE_POOL_SIZE": "8",
            "NIGHTINGALE_SERVICE_ACCESS_CACHE_SECONDS": "0.5",
            "NIGHTINGALE_OTHER": "ignored",
        }
    )
    assert (tuning.threads, tuning.pool_size, tuning.access_cache_seconds) == (16, 8, 0.5)
    assert tuning.pool_overflow == ServiceTuning().pool_overflow


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NIGHTINGALE_SERVICE_THREADS", "many", "NIGHTINGALE_SERVICE_THREADS='many'"),
        ("NIGHTINGALE_SERVICE_THREADS", "0", ">= 1"),
        ("NIGHTINGALE_SERVICE_POOL_TIMEOUT", "0", "timeout > 0"),
        ("NIGHTINGALE_SERVICE_ACCESS_CACHE_SECONDS", "-1", ">= 0"),
    ],
)
def test_a_bad_size_is_refused_naming_it(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ServiceTuning.from_environment({name: value})


def test_a_sqlite_file_is_pooled_without_pings_and_postgresql_with_them() -> None:
    tuning = ServiceTuning(pool_size=5, pool_overflow=7)
    sqlite = tuning.pool_options("sqlite:////tmp/x.db")
    assert (sqlite["pool_size"], sqlite["max_overflow"], sqlite["pool_pre_ping"]) == (5, 7, False)
    assert "pool_pre_ping" not in tuning.pool_options("postgresql://u@h/db")
    assert tuning.pool_options("sqlite://") == {}


def test_the_app_sizes_its_pool_and_cache_from_the_tuning(settings: Settings) -> None:
    from nightingale.platform.bootstrap import initialise

    initialise(settings)
    app = create_app(settings, tuning=ServiceTuning(pool_size=3, access_cache_seconds=0.25))
    assert app.state.engine.pool.size() == 3
    assert app.state.access_cache.ttl == 0.25
