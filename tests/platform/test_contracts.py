"""The on-disk contracts: what one package writes is what the others read, field for field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from nightingale.platform.contracts import (
    ContractError,
    Demographics,
    KAnonymityRecord,
    ReleaseManifest,
    RowCounts,
    content_table,
    current_spine_run,
    read_manifest,
    read_spine_pointer,
    release_folder,
    set_current_spine,
    spine_file,
    write_manifest,
)
from nightingale.platform.storage import DataRoot, atomic_write_json


def _manifest() -> ReleaseManifest:
    return ReleaseManifest(
        release_id="r20260701T120000Z-abc123",
        project="dfh-pilot",
        request_id="7",
        cohort="dfh_pilot",
        spec_sha256="0" * 64,
        source_versions={"health": "v1"},
        spine_run_id="run1",
        engine="duckdb",
        pseudonym_key_id="pseudonym-v1",
        rows=RowCounts(persons=4, panel=20),
        files={"persons.parquet": "1" * 64, "panel.parquet": "2" * 64},
        k_anonymity=KAnonymityRecord(
            quasi_identifiers=["age_band", "sex"],
            k=2,
            min_k=5,
            groups=2,
            people_below_min_k=4,
            meets_target=False,
        ),
        created_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC),
    )


def test_a_manifest_reads_back_as_written(tmp_path: Path) -> None:
    written = write_manifest(tmp_path, _manifest())
    assert read_manifest(tmp_path) == _manifest()
    document = json.loads(written.read_text())
    assert document["rows"] == {"persons": 4, "panel": 20}
    assert document["created_at"] == "2026-07-01T12:00:00+00:00"
    assert document["format"] == 1


def test_a_manifest_is_key_sorted_json_so_its_checksum_is_stable(tmp_path: Path) -> None:
    text = write_manifest(tmp_path, _manifest()).read_text()
    keys = list(json.loads(text))
    assert keys == sorted(keys)
    assert text == json.dumps(_manifest().as_json(), indent=2, sort_keys=True) + "\n"


def test_a_manifest_with_a_renamed_field_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    document = _manifest().as_json()
    document["row_counts"] = document.pop("rows")
    atomic_write_json(tmp_path / "manifest.json", document)
    with pytest.raises(ContractError, match=r"manifest.json: rows: Field required"):
        read_manifest(tmp_path)


def test_a_folder_without_a_manifest_is_not_a_release(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="not a release"):
        read_manifest(tmp_path)


def test_the_spine_pointer_names_the_run_in_force(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    assert read_spine_pointer(root) is None
    set_current_spine(root, "20260701T120000Z-1a2b")
    assert current_spine_run(root) == "20260701T120000Z-1a2b"
    pointer = root.linkage / "spine" / "current.json"
    assert json.loads(pointer.read_text()) == {"run_id": "20260701T120000Z-1a2b"}
    assert spine_file(root, "20260701T120000Z-1a2b") == (
        root.linkage / "spine" / "20260701T120000Z-1a2b" / "spine.parquet"
    )


@pytest.mark.parametrize("document", ['{"run_id": "../../keys"}', '{"run": "x"}', "not json"])
def test_an_unreadable_or_escaping_spine_pointer_is_refused(tmp_path: Path, document: str) -> None:
    root = DataRoot(tmp_path)
    (root.linkage / "spine").mkdir(parents=True)
    (root.linkage / "spine" / "current.json").write_text(document)
    with pytest.raises(ContractError, match="current.json: unreadable spine pointer"):
        read_spine_pointer(root)


@pytest.mark.parametrize("name", ["..", "../x", "a/b", ".hidden", ""])
def test_shared_paths_stay_inside_their_zone(tmp_path: Path, name: str) -> None:
    root = DataRoot(tmp_path)
    with pytest.raises(ContractError, match="not a safe folder name"):
        release_folder(root, name, "r1")
    with pytest.raises(ContractError, match="not a safe folder name"):
        content_table(root, "health", name, "admissions")


def test_demographics_carry_exactly_the_four_columns() -> None:
    table = pa.table(
        {
            "source": ["health"],
            "record_id": ["g1"],
            "date_of_birth": pa.array([None], pa.date32()),
            "sex": ["F"],
        }
    )
    assert Demographics({"health": "v1"}, table).versions == {"health": "v1"}
    with pytest.raises(ContractError, match="columns"):
        Demographics({"health": "v1"}, table.append_column("given_name", pa.array(["Ann"])))
