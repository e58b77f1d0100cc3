"""``init``: creates everything once, changes nothing the second time, refuses bad input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from nightingale.platform import database
from nightingale.platform.bootstrap import initialise
from nightingale.platform.doctor import run_checks
from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings

# Pretend one branch was migrated by newer code (there is one row per branch head).
NEWER_REVISION = (
    "UPDATE alembic_version SET version_num = 'zz9999' "
    "WHERE version_num = (SELECT min(version_num) FROM alembic_version)"
)


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file and folder under root with its mode and content hash."""
    found = {}
    for path in sorted(root.rglob("*")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        found[str(path.relative_to(root))] = (path.stat().st_mode, digest)
    return found


def test_init_creates_the_zones_keys_and_database(settings: Settings) -> None:
    report = initialise(settings)
    root = settings.data_root
    assert report.changed
    assert sorted(report.generated_keys) == [
        "audit-v1",
        "encryption-v1",
        "linkage-v1",
        "pseudonym-v1",
    ]
    assert root.stat().st_mode & 0o777 == 0o700
    assert all(c.ok is not False for c in run_checks(settings)), run_checks(settings)


def test_init_twice_changes_nothing_on_disk(settings: Settings) -> None:
    initialise(settings)
    before = snapshot(settings.data_root)
    report = initialise(settings)
    assert not report.changed
    assert snapshot(settings.data_root) == before


def test_init_works_against_postgresql(settings: Settings, postgres_url: str) -> None:
    with_pg = settings.model_copy(update={"database_url": postgres_url})
    initialise(with_pg)
    assert not initialise(with_pg).changed
    assert all(c.ok is not False for c in run_checks(with_pg))


def test_a_folder_that_is_not_a_data_root_is_refused_untouched(settings: Settings) -> None:
    settings.data_root.mkdir()
    (settings.data_root / "thesis.docx").write_text("precious")
    before = snapshot(settings.data_root)
    with pytest.raises(ConfigurationError, match="not a Nightingale data root"):
        initialise(settings)
    assert snapshot(settings.data_root) == before


def test_loose_key_permissions_stop_init_and_change_nothing(settings: Settings) -> None:
    initialise(settings)
    key = settings.data_root / "keys" / "linkage-v1.key"
    os.chmod(key, 0o644)
    (settings.data_root / "keys" / "audit-v1.key").unlink()
    before = snapshot(settings.data_root)
    with pytest.raises(ConfigurationError, match="mode 0644"):
        initialise(settings)
    assert snapshot(settings.data_root) == before


def test_a_database_from_newer_code_stops_init(settings: Settings) -> None:
    initialise(settings)
    engine = database.make_engine(settings.resolved_database_url)
    with engine.begin() as connection:
        connection.execute(text(NEWER_REVISION))
    engine.dispose()
    with pytest.raises(ConfigurationError, match="newer code"):
        initialise(settings)


def test_a_database_of_another_data_root_is_refused(settings: Settings, tmp_path: Path) -> None:
    shared_db = f"sqlite:///{tmp_path / 'shared.db'}"
    initialise(settings.model_copy(update={"database_url": shared_db}))
    other = Settings(data_root=tmp_path / "other", database_url=shared_db)
    initialise(other.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'o.db'}"}))
    with pytest.raises(ConfigurationError, match="belongs to another data root"):
        initialise(other)


def test_doctor_catches_a_key_file_with_mode_0644(settings: Settings) -> None:
    initialise(settings)
    os.chmod(settings.data_root / "keys" / "audit-v1.key", 0o644)
    checks = {c.name: c for c in run_checks(settings)}
    assert checks["keys"].ok is False
    assert "0644" in checks["keys"].detail


def test_doctor_on_an_empty_folder_says_to_run_init(settings: Settings) -> None:
    checks = {c.name: c for c in run_checks(settings)}
    assert checks["data root"].ok is False
    assert "nightingale init" in checks["data root"].detail
    assert checks["database"].ok is False
    assert not (settings.data_root / "nightingale.db").exists(), "doctor never creates files"
