"""Fixtures: an initialised data root with the hand-made region ingested (and linked)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine

from nightingale.linkage.ingest import ingest
from nightingale.linkage.link import LinkSummary, link
from nightingale.linkage.schemas import provider
from nightingale.platform import database
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot
from tests.linkage.region import write_region

FILES = {
    "health": ["gp_registrations.csv", "admissions.csv"],
    "housing": ["tenancies.csv", "property_reports.csv"],
    "employment": ["claimants.csv", "earnings.csv"],
}


@dataclass
class Platform:
    """An initialised data root, its keystore and database engine, and a written region."""

    settings: Settings
    root: DataRoot
    keystore: KeyStore
    engine: Engine
    region: Path
    truth: dict[tuple[str, str], str]

    def extract(self, provider_name: str, name: str) -> Path:
        return self.region / "extracts" / provider_name / name


def make_platform(folder: Path) -> Platform:
    settings = Settings(
        data_root=folder / "var", database_url=f"sqlite:///{folder / 'var' / 'nightingale.db'}"
    )
    initialise(settings)
    region = settings.data_root / "demo-region"
    truth = write_region(region)
    engine = database.make_engine(settings.resolved_database_url)
    return Platform(
        settings, DataRoot(settings.data_root), keystore_for(settings), engine, region, truth
    )


def ingest_all(platform: Platform) -> None:
    for name, files in FILES.items():
        with database.session_scope(platform.engine) as session:
            ingest(
                session,
                platform.root,
                platform.keystore,
                provider(name),
                [platform.extract(name, f) for f in files],
            )


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    """A fresh data root with the region's extracts written but nothing ingested."""
    made = make_platform(tmp_path)
    yield made
    made.engine.dispose()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A data root with all three providers ingested (shared by a module's tests)."""
    made = make_platform(tmp_path_factory.mktemp("ingested"))
    ingest_all(made)
    yield made
    made.engine.dispose()


def link_all(platform: Platform, **options: Any) -> LinkSummary:
    """Link what ``platform`` ingested (on a DuckDB connection of its own)."""
    connection = duckdb.connect()
    try:
        with database.session_scope(platform.engine) as session:
            return link(session, platform.root, platform.keystore, connection, **options)
    finally:
        connection.close()
