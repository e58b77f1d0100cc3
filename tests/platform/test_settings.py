"""Settings: arguments beat the environment, which beats nightingale.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings, load_settings


def test_defaults_put_everything_in_var(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_settings()
    assert loaded.data_root == Path("var")
    assert loaded.engine == "duckdb"
    assert loaded.resolved_database_url.endswith("/var/nightingale.db")


def test_precedence_argument_environment_file(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "nightingale.toml").write_text('data_root = "from-file"\nduckdb_threads = 3\n')
    assert load_settings().data_root == Path("from-file")
    assert load_settings().duckdb_threads == 3
    monkeypatch.setenv("NIGHTINGALE_DATA_ROOT", "from-env")
    assert load_settings().data_root == Path("from-env")
    assert load_settings(data_root=Path("from-arg")).data_root == Path("from-arg")


def test_database_url_comes_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIGHTINGALE_DATABASE_URL", "postgresql://db/nightingale")
    assert load_settings().resolved_database_url == "postgresql://db/nightingale"


def test_invalid_values_are_named(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIGHTINGALE_ENGINE", "oracle")
    with pytest.raises(ConfigurationError, match="engine"):
        load_settings()


def test_a_broken_settings_file_is_named(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "nightingale.toml").write_text("data_root = \n")
    with pytest.raises(ConfigurationError, match="nightingale.toml"):
        load_settings()


def test_an_object_store_data_root_is_refused_not_mistaken_for_a_folder(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not implemented yet (docs/scaling.md): ``s3://b`` must not become the folder ``s3:/b``."""
    monkeypatch.setenv("NIGHTINGALE_DATA_ROOT", "s3://bucket/nightingale")
    with pytest.raises(ConfigurationError, match="object-store data roots are not supported"):
        load_settings()
