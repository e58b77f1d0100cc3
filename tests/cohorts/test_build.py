"""Building a release: pseudonymised, free of identifiers, measured, and all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from nightingale.cohorts.build import (
    ReleaseSafetyError,
    build_release,
    check_release_safe,
    demographics_needed_by,
    estimate_release,
)
from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.engines import DuckDBEngine
from nightingale.cohorts.kanonymity import measure
from nightingale.cohorts.loading import parse_spec
from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.cohorts.zones import MissingInputError
from nightingale.platform.contracts import read_manifest
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore, MemoryKeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, sha256_file, write_parquet
from tests.cohorts import pilot_fixture
from tests.cohorts.conftest import PILOT_SPEC, pilot_demographics

SPEC_TEXT = PILOT_SPEC.read_text()
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def _build(region: DataRoot, keystore: KeyStore, engine: DuckDBEngine, project: str = "dfh-pilot"):
    return build_release(
        region,
        keystore,
        engine,
        spec_text=SPEC_TEXT,
        project=project,
        request_id="7",
        demographics=pilot_demographics(),
        now=NOW,
    )


def _entries(folder: Path) -> list[Path]:
    """Everything in a folder, hidden temporary folders included."""
    return list(folder.iterdir()) if folder.exists() else []


def _expected(table: pa.Table, pseudonymiser: Pseudonymiser, keys: list[str]) -> list[dict]:
    rows = [{"pid": pseudonymiser.pid(row.pop("person_id")), **row} for row in table.to_pylist()]
    return sorted(rows, key=lambda row: [row[k] for k in keys])


def test_a_release_holds_the_cohort_under_the_projects_pseudonyms(
    region, keystore, duckdb_engine
) -> None:
    release = _build(region, keystore, duckdb_engine)
    pseudonymiser = Pseudonymiser(keystore, "dfh-pilot")
    persons = pq.read_table(release.path / "persons.parquet")
    panel = pq.read_table(release.path / "panel.parquet")
    assert persons.column_names[0] == "pid" and panel.column_names[0] == "pid"
    assert persons.to_pylist() == _expected(pilot_fixture.PERSONS, pseudonymiser, ["pid"])
    assert panel.to_pylist() == _expected(pilot_fixture.PANEL, pseudonymiser, ["pid", "period"])
    assert release.path == region.releases("dfh-pilot") / release.release_id


def test_the_manifest_describes_the_release(region, keystore, duckdb_engine) -> None:
    release = _build(region, keystore, duckdb_engine)
    manifest = json.loads((release.path / "manifest.json").read_text())
    assert manifest == release.manifest.as_json()
    assert read_manifest(release.path) == release.manifest
    assert release.manifest_sha256 == sha256_file(release.path / "manifest.json")
    for name, checksum in manifest["files"].items():
        assert sha256_file(release.path / name) == checksum
    assert manifest["rows"] == {
        "persons": pilot_fixture.PERSONS.num_rows,
        "panel": pilot_fixture.PANEL.num_rows,
    }
    assert manifest["source_versions"] == {"employment": "v1", "health": "v1", "housing": "v1"}
    assert manifest["spine_run_id"] == "run1"
    assert manifest["request_id"] == "7"
    spec = parse_spec(SPEC_TEXT)
    quasi = default_catalogue().quasi_identifiers(spec)
    persons = pq.read_table(release.path / "persons.parquet")
    assert manifest["k_anonymity"] == measure(persons, quasi, spec.disclosure.min_k).as_dict()
    assert set(quasi) == {"age_band", "sex", "imd_quintile"}


def test_a_release_holds_no_identifiers_or_dates(region, keystore, duckdb_engine) -> None:
    release = _build(region, keystore, duckdb_engine)
    person_ids = set(pilot_fixture.SPINE["person_id"].to_pylist())
    record_ids = set(pilot_fixture.SPINE["record_id"].to_pylist())
    for name in ("persons.parquet", "panel.parquet"):
        table = pq.read_table(release.path / name)
        check_release_safe(name, table)
        values = {str(v) for column in table.columns for v in column.to_pylist()}
        assert not values & (person_ids | record_ids | {"Secret", "1985-03-16"})


def test_identifier_columns_and_dates_are_refused() -> None:
    with pytest.raises(ReleaseSafetyError, match="identifier columns"):
        check_release_safe("persons", pa.table({"pid": ["a"], "nhs_number": ["9434765919"]}))
    with pytest.raises(ReleaseSafetyError, match="is a date"):
        check_release_safe("persons", pa.table({"pid": ["a"], "born": pa.array([0], pa.date32())}))


def test_two_projects_releases_share_no_pseudonym(region, keystore, duckdb_engine) -> None:
    first = _build(region, keystore, duckdb_engine, project="dfh-pilot")
    second = _build(region, keystore, duckdb_engine, project="other-study")
    pids = [
        set(pq.read_table(r.path / "persons.parquet")["pid"].to_pylist()) for r in (first, second)
    ]
    assert len(pids[0]) == len(pids[1]) == pilot_fixture.PERSONS.num_rows
    assert not pids[0] & pids[1]


class _InterruptedEngine(DuckDBEngine):
    """A real DuckDB engine that is interrupted (Ctrl-C) when the panel query starts."""

    def run(self, query: exp.Query) -> pa.Table:
        if "person_periods" in query.sql():
            raise KeyboardInterrupt
        return super().run(query)


def test_an_interrupted_build_leaves_no_release(region, keystore, tmp_path) -> None:
    engine = _InterruptedEngine.from_settings(Settings(data_root=tmp_path / "var"))
    with pytest.raises(KeyboardInterrupt):
        _build(region, keystore, engine)
    engine.close()
    assert _entries(region.releases("dfh-pilot")) == []


def test_a_build_interrupted_while_writing_leaves_no_release(
    region, keystore, duckdb_engine, monkeypatch
) -> None:
    from nightingale.cohorts import build

    written = []

    def write_then_fail(target, table):
        written.append(target)
        if target.name == "panel.parquet":
            raise KeyboardInterrupt
        return real_write(target, table)

    real_write = build.write_parquet
    monkeypatch.setattr(build, "write_parquet", write_then_fail)
    with pytest.raises(KeyboardInterrupt):
        _build(region, keystore, duckdb_engine)
    assert [p.name for p in written] == ["persons.parquet", "panel.parquet"]
    assert _entries(region.releases("dfh-pilot")) == []


@pytest.mark.parametrize("project", ["../escape", "a/b", ""])
def test_unsafe_project_names_are_refused(region, keystore, duckdb_engine, project) -> None:
    with pytest.raises(NightingaleError, match="not a safe folder name"):
        _build(region, keystore, duckdb_engine, project=project)


def test_the_estimate_stewards_see_is_what_the_build_records(
    region, keystore, duckdb_engine
) -> None:
    estimate = estimate_release(
        region, duckdb_engine, spec_text=SPEC_TEXT, demographics=pilot_demographics()
    )
    release = _build(region, keystore, duckdb_engine)
    assert release.manifest.k_anonymity.model_dump() == estimate.as_dict()
    assert estimate.quasi_identifiers == ["age_band", "sex", "imd_quintile"]


def test_a_spec_reading_demographics_is_not_built_without_them(
    region, keystore, duckdb_engine
) -> None:
    assert demographics_needed_by(region, SPEC_TEXT) == {
        "employment": "v1",
        "health": "v1",
        "housing": "v1",
    }
    with pytest.raises(MissingInputError, match="linkage.demographics: the spec reads"):
        build_release(
            region, keystore, duckdb_engine, spec_text=SPEC_TEXT, project="p", request_id="7"
        )
    assert _entries(region.releases("p")) == []


def test_demographics_of_other_versions_are_refused(region, keystore, duckdb_engine) -> None:
    write_parquet(
        region.content_version("health", "v2") / "gp_registrations.parquet",
        pilot_fixture.TABLES["health.gp_registrations"],
    )
    with pytest.raises(MissingInputError, match="ingested meanwhile"):
        _build(region, keystore, duckdb_engine)


def test_the_builder_needs_no_key_that_opens_the_identifier_zone(region, duckdb_engine) -> None:
    # Only the pseudonym key: cohorts never opens a sealed file, it is given the table.
    pseudonym_only = MemoryKeyStore()
    pseudonym_only.ensure("pseudonym")
    release = _build(region, pseudonym_only, duckdb_engine)
    assert release.manifest.rows.persons == pilot_fixture.PERSONS.num_rows
