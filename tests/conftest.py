"""Shared fixtures: a throwaway PostgreSQL server, database URLs on both backends, data roots.

Database behaviour is specified once and run on SQLite and on a real PostgreSQL server
that this session starts from the machine's binaries (initdb into a temporary folder,
a free 127.0.0.1 port, stopped at the end). Outside CI a missing PostgreSQL skips the
PostgreSQL variants with the reason; with CI=true it is an error.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from nightingale.platform.settings import Settings

PG_BIN_CANDIDATES = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/local/bin"), Path("/usr/bin")]


def _pg_binary(name: str) -> str | None:
    for folder in PG_BIN_CANDIDATES:
        candidate = folder / name
        if candidate.is_file():
            return str(candidate)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root, so drop to 'postgres'."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


LONG_MARKS = ("e2e", "spark", "slow")
"""Modules holding a test with one of these marks run first, in this order (see below)."""


def _module_rank(items: list[pytest.Item]) -> int:
    marks = {mark.name for item in items for mark in item.iter_markers()}
    return next((rank for rank, name in enumerate(LONG_MARKS) if name in marks), len(LONG_MARKS))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long modules first: end-to-end, then Spark, then ``slow``, then the rest.

    ``make test`` hands whole modules to the xdist workers in this order
    (``--dist loadfile --no-loadscope-reorder``); started last, one e2e module would leave
    the other worker idle for minutes at the end. Order within a module is kept.
    """
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ranks = {name: _module_rank(members) for name, members in modules.items()}
    items.sort(key=lambda item: ranks[item.nodeid.split("::", 1)[0]])  # stable


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL server; yield its admin URL; stop it at the end."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are required in CI")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found on this machine")
    workdir = Path(tempfile.mkdtemp(prefix="nightingale-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, user="postgres")
    port = _free_port()
    data = workdir / "data"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(
        _as_postgres_user([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]), **quiet
    )  # type: ignore[call-overload]
    options = f"-k {workdir} -h 127.0.0.1 -p {port} -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_postgres_user(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w", "start"]
        ),
        **quiet,  # type: ignore[call-overload]
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{postgres_server}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'governance.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for a fresh data root under the test's temporary folder (not yet created)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("NIGHTINGALE_"):
            monkeypatch.delenv(name)
    return Settings(data_root=tmp_path / "var")


@pytest.fixture(autouse=True)
def _no_global_random(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must seed their own generators; the global one is poisoned."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("use a seeded random.Random / numpy Generator, not the global one")

    monkeypatch.setattr(random, "random", refuse)


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Spark local[2] session for the whole test session (cohorts and linkage), stopped
    at the end: start-up costs tens of seconds on a loaded two-core machine."""
    from nightingale.platform.engines import spark_session as make_session

    settings = Settings(data_root=tmp_path_factory.mktemp("spark-root"))
    # A short-lived JVM on tiny tables: the C1 compiler alone and the serial collector start
    # faster and leave the other core to the other xdist worker.
    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS",
        '--driver-java-options "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" pyspark-shell',
    )
    with warnings.catch_warnings():
        # pyspark's own start-up code uses deprecated stdlib APIs (not ours to fix).
        warnings.simplefilter("ignore", DeprecationWarning)
        session = make_session(settings, app_name="nightingale-tests")
    session.sparkContext.setLogLevel("ERROR")
    # Tiny tables: one shuffle partition saves seconds per query on a shared 2-core machine.
    session.conf.set("spark.sql.shuffle.partitions", "1")
    # Code generation and adaptive planning pay off on big data; on a dozen rows they are
    # most of the test's time.
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.adaptive.enabled", "false")
    # Interpreted expressions: compiling generated Java costs more than it saves here.
    session.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")
    yield session
    session.stop()
