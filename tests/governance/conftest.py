"""Governance fixtures: a migrated database with the demo cast, on SQLite and PostgreSQL.

Passwords use deliberately cheap argon2 parameters (tests only; production defaults are
untouched) so the suite stays fast.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from nightingale.governance import datasets, people, projects
from nightingale.governance.settings import PasswordHashing
from nightingale.platform import database
from nightingale.platform.keystore import KeyStore, MemoryKeyStore

T = TypeVar("T")
CHEAP = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)
TODAY = date.today()
SPEC = "name: dfh-pilot\npopulation:\n  source: housing.tenancies\n"
READS = ("housing",)
"""The datasets SPEC reads (what the request operation passes governance at submission)."""
SPEC_SHA256 = hashlib.sha256(SPEC.encode()).hexdigest()
"""What a release built from SPEC records as its spec's hash."""


@dataclass
class Platform:
    """A migrated database, its keystore, and a way to run one unit of work."""

    engine: Engine
    keystore: KeyStore

    def act(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one governance action (session and keystore first) in its own unit of work."""
        with database.session_scope(self.engine) as session:
            return action(session, self.keystore, *args, **kwargs)

    def read(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one read-only query (session first) in its own unit of work."""
        with database.session_scope(self.engine) as session:
            return query(session, *args, **kwargs)


@pytest.fixture
def keystore() -> KeyStore:
    store = MemoryKeyStore()
    store.ensure("audit")
    return store


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session; tests get copies (migrating each time
    would dominate the suite's run time)."""
    path = tmp_path_factory.mktemp("template") / "governance.db"
    engine = database.make_engine(f"sqlite:///{path}")
    database.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A PostgreSQL database migrated once per session, used as CREATE DATABASE's template."""
    name = f"gov_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = database.make_engine(f"{postgres_server}/{name}")
    database.upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture
def migrated_postgres_url(postgres_server: str, postgres_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test (a copy of the template)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    try:
        yield f"{postgres_server}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of a freshly migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "governance.db"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite:///{target}"
    return str(request.getfixturevalue("migrated_postgres_url"))


@pytest.fixture
def platform(migrated_url: str, keystore: KeyStore) -> Iterator[Platform]:
    engine = database.make_engine(migrated_url)
    try:
        yield Platform(engine, keystore)
    finally:
        engine.dispose()


CAST = {
    "ada": ("administrator",),
    "rita": ("researcher",),
    "ron": ("researcher",),
    "sam": ("data_steward",),
    "sasha": ("data_steward",),
    "otto": ("output_checker",),
    "owen": ("output_checker",),
    "eve": ("evaluator",),
}


def add_cast(session: Session, keystore: KeyStore) -> None:
    """The demo cast plus a second researcher, the three providers and an active project."""
    people.create_person(
        session,
        keystore,
        by=None,
        username="ada",
        display_name="Ada",
        roles=["administrator"],
        password="ada-password-1",
        hashing=CHEAP,
    )
    for name, roles in CAST.items():
        if name == "ada":
            continue
        people.create_person(
            session,
            keystore,
            by="ada",
            username=name,
            display_name=name.title(),
            roles=roles,
            accreditation_expires=TODAY + timedelta(days=365) if "researcher" in roles else None,
            password=f"{name}-password-1",
            hashing=CHEAP,
        )
    datasets.ensure_default_datasets(session, keystore, by="ada")
    projects.create_project(
        session,
        keystore,
        by="rita",
        slug="dfh-pilot",
        title="Homes pilot",
        purpose="Evaluate designed-for-health homes",
        public_benefit="Healthier housing",
        lawful_basis="UK GDPR 6(1)(e) and 9(2)(j)",
        ethics_reference="REC 26/NW/0001",
        pi="rita",
        start_date=TODAY - timedelta(days=30),
        end_date=TODAY + timedelta(days=700),
    )
    projects.add_member(session, keystore, by="rita", slug="dfh-pilot", username="eve")
    projects.submit_project(session, keystore, by="rita", slug="dfh-pilot")
    projects.approve_project(session, keystore, by="sam", slug="dfh-pilot", reason="ethics ok")
    projects.activate_project(session, keystore, by="ada", slug="dfh-pilot")


@pytest.fixture
def cast(platform: Platform) -> Platform:
    """The cast on both SQLite and PostgreSQL: for behaviour that depends on the database."""
    platform.act(add_cast)
    return platform


@pytest.fixture
def sqlite_platform(
    tmp_path: Path, keystore: KeyStore, sqlite_template: Path
) -> Iterator[Platform]:
    """A migrated SQLite database only: for behaviour that is the same on every database."""
    target = tmp_path / "governance.db"
    shutil.copyfile(sqlite_template, target)
    engine = database.make_engine(f"sqlite:///{target}")
    try:
        yield Platform(engine, keystore)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_cast(tmp_path: Path, keystore: KeyStore, sqlite_template: Path) -> Iterator[Platform]:
    """The cast on SQLite only: for logic that is the same on every database (the file
    layout of the airlock, expiry), keeping the suite fast on a shared machine."""
    target = tmp_path / "governance.db"
    shutil.copyfile(sqlite_template, target)
    engine = database.make_engine(f"sqlite:///{target}")
    platform = Platform(engine, keystore)
    platform.act(add_cast)
    try:
        yield platform
    finally:
        engine.dispose()
