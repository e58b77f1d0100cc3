"""Settings: where the data root is, which database and engine to use.

Precedence (highest first): explicit arguments (the CLI's ``--data-root``), environment
variables (``NIGHTINGALE_DATA_ROOT``, ``NIGHTINGALE_DATABASE_URL``, ...), then an
optional ``nightingale.toml`` in the working directory, then defaults. The database URL
defaults to a SQLite file inside the data root so that one folder holds one platform.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from nightingale.platform.errors import ConfigurationError

CONFIG_FILE_NAME = "nightingale.toml"


class Settings(BaseSettings):
    """Validated platform settings; construct with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="NIGHTINGALE_", extra="forbid", toml_file=CONFIG_FILE_NAME
    )

    data_root: Path = Field(default=Path("var"), description="Folder holding all platform data.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the governance database; default SQLite in the data root.",
    )
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb", description="Engine for linkage and cohort builds."
    )
    keystore_backend: Literal["file"] = Field(
        default="file", description="Where keys live; 'file' keeps them under data_root/keys."
    )
    duckdb_threads: int = Field(default=2, ge=1, le=256)
    #: DuckDB's own working memory; it spills beyond. 3GB keeps a 1,000,000-person link
    #: (about 3 GiB of Python and Arrow besides DuckDB) within 6 GiB (docs/operator.md).
    duckdb_memory_limit: str = Field(default="3GB", pattern=r"^\d+(\.\d+)?\s*(MB|GB|TB|MiB|GiB)$")
    spark_master: str = Field(default="local[2]")
    governance: dict[str, Any] = Field(
        default_factory=dict,
        description="[governance] section; validated by nightingale.governance.settings.",
    )
    sdc: dict[str, Any] = Field(
        default_factory=dict,
        description="[sdc] section (disclosure control); validated by governance.settings.",
    )

    @field_validator("data_root", mode="before")
    @classmethod
    def _local_only(cls, value: Any) -> Any:
        """Refuse object-store URLs rather than treat ``s3://b`` as the folder ``s3:/b``.

        The zones are read and written through local paths (atomic rename, fsync); an
        object-store data root is not implemented yet (docs/scaling.md).
        """
        if isinstance(value, str) and "://" in value:
            raise ValueError(
                f"{value!r}: object-store data roots are not supported yet; "
                "use a local or mounted folder (see docs/scaling.md)"
            )
        return value

    @field_validator("data_root")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments beat the environment, which beats ``nightingale.toml``."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_root>/nightingale.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_root / 'nightingale.db').resolve()}"


def load_settings(data_root: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from arguments, environment and ``nightingale.toml``.

    ``None`` arguments are ignored so the CLI can pass its options straight through.
    Raises :class:`ConfigurationError` naming every invalid field, so the CLI can show
    exactly what to fix.
    """
    explicit = {k: v for k, v in overrides.items() if v is not None}
    if data_root is not None:
        explicit["data_root"] = data_root
    try:
        return Settings(**explicit)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{CONFIG_FILE_NAME}: not valid TOML ({exc})") from exc
