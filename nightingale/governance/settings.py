"""Governance and SDC settings, per deployment.

Defaults follow the common UK rules of thumb (see docs/sdc.md). A deployment changes them
in ``nightingale.toml``::

    [governance]
    special_category_approvals = 2
    output_approvals = 2

    [sdc]
    threshold = 10
    rounding_base = 5

or with the environment (``NIGHTINGALE_GOVERNANCE='{"special_category_approvals": 3}'``),
both read through the platform's settings so one file configures one platform.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings


class PasswordHashing(BaseModel):
    """argon2id parameters. Production defaults are argon2-cffi's RFC 9106 low-memory profile;
    tests pass cheap ones. Never lower these in a deployment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_cost: int = Field(default=3, ge=1)
    memory_cost_kib: int = Field(default=65536, ge=8)
    parallelism: int = Field(default=4, ge=1)


class LoginThrottling(BaseModel):
    """How failed logins slow the next attempt, per name and per source address."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name_failures: int = Field(
        default=5, ge=1, description="Failed logins for one name before it is paused."
    )
    source_failures: int = Field(
        default=20,
        ge=1,
        description="Failed logins from one source address (any names) before it is paused.",
    )
    first_pause_seconds: int = Field(
        default=1, ge=1, description="Pause after the threshold's failure; each next doubles."
    )
    max_pause_seconds: int = Field(default=300, ge=1, description="Longest pause.")
    forget_after_seconds: int = Field(
        default=3600, ge=1, description="Failures older than this (and no pause) are forgotten."
    )


class GovernanceSettings(BaseModel):
    """Who must agree before data moves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    special_category_approvals: int = Field(
        default=2,
        ge=1,
        le=5,
        description="Independent steward approvals when health data is involved.",
    )
    ordinary_approvals: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Steward approvals for requests without special-category data.",
    )
    output_approvals: int = Field(
        default=2,
        ge=2,
        le=5,
        description="Different output checkers, none on the project, who must approve before "
        "an output request leaves the airlock (two pairs of eyes: never fewer than two).",
    )
    release_days: int = Field(
        default=365,
        ge=1,
        description="Default lifetime of a release when the project has no end date.",
    )
    require_job_outputs: bool = Field(
        default=False,
        description="Take to the airlock only files analysis jobs produced (nightingale jobs), "
        "never a notebook's files. Off by default so notebook submissions keep working.",
    )
    output_max_file_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1,
        description="Largest file the airlock takes through the web API (answered 413).",
    )
    output_max_request_bytes: int = Field(
        default=200 * 1024 * 1024,
        ge=1,
        description="Largest request body the governance service reads (answered 413).",
    )
    password_hashing: PasswordHashing = Field(default_factory=PasswordHashing)
    login_throttling: LoginThrottling = Field(default_factory=LoginThrottling)


class SdcSettings(BaseModel):
    """Statistical disclosure control thresholds (ACRO's defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: int = Field(default=10, ge=1, description="Minimum cell count / contributors.")
    zeros_need_review: bool = Field(default=True, description="Flag zero cells for review.")
    dominance_n: int = Field(default=2, ge=1, description="n of the (n, k) dominance rule.")
    dominance_k: float = Field(default=0.9, gt=0, le=1, description="k of the (n, k) rule.")
    p_percent: float = Field(default=0.1, gt=0, lt=1, description="p of the p% rule.")
    min_residual_dof: int = Field(default=10, ge=1, description="Residual degrees of freedom.")
    rounding_base: int = Field(default=5, ge=1, description="Base for the rounding mitigation.")
    max_text_length: int = Field(
        default=200,
        ge=20,
        description="Longest text a table cell may hold; longer is free text and blocked.",
    )
    row_level_min_rows: int = Field(
        default=100,
        ge=2,
        description="Rows from which a table with a nearly all-distinct column is suspected "
        "of being row-level data.",
    )
    row_level_distinct_share: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="Share of distinct values that makes a column 'nearly all distinct'.",
    )


def _validated(model: type[BaseModel], section: str, raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"[{section}] {'.'.join(str(p) for p in err['loc']) or section}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc


def governance_settings(settings: Settings | None = None) -> GovernanceSettings:
    """The ``[governance]`` section of the platform settings, validated."""
    raw = getattr(settings, "governance", None) or {}
    result: GovernanceSettings = _validated(GovernanceSettings, "governance", raw)
    return result


def sdc_settings(settings: Settings | None = None) -> SdcSettings:
    """The ``[sdc]`` section of the platform settings, validated."""
    raw = getattr(settings, "sdc", None) or {}
    result: SdcSettings = _validated(SdcSettings, "sdc", raw)
    return result
