"""Thresholds are configurable per deployment through nightingale.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.governance.settings import governance_settings, sdc_settings
from nightingale.platform.errors import ConfigurationError
from nightingale.platform.settings import Settings, load_settings


def test_defaults_follow_the_common_rules(settings: Settings) -> None:
    sdc = sdc_settings(settings)
    assert (sdc.threshold, sdc.dominance_n, sdc.dominance_k, sdc.p_percent) == (10, 2, 0.9, 0.1)
    assert governance_settings(settings).special_category_approvals == 2


def test_nightingale_toml_sections_are_read(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "nightingale.toml").write_text(
        "[governance]\nspecial_category_approvals = 3\n[sdc]\nthreshold = 7\n"
    )
    loaded = load_settings()
    assert governance_settings(loaded).special_category_approvals == 3
    assert sdc_settings(loaded).threshold == 7


def test_a_bad_value_is_named(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "nightingale.toml").write_text("[sdc]\nthreshold = 0\n")
    with pytest.raises(ConfigurationError, match=r"\[sdc\] threshold"):
        sdc_settings(load_settings())
    (tmp_path / "nightingale.toml").write_text("[governance]\napprovals = 2\n")
    with pytest.raises(ConfigurationError, match=r"\[governance\] approvals"):
        governance_settings(load_settings())
