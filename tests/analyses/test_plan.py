"""The analysis plan: strictly validated, pinned by the SHA-256 of its bytes."""

from __future__ import annotations

import hashlib

import pytest

from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH
from nightingale.analyses.plan import load_plan, parse_plan
from nightingale.platform.errors import NightingaleError


def test_the_registered_pilot_plan_loads_and_names_the_release_outcomes() -> None:
    loaded = load_plan(PLAN_PATH)
    assert loaded.sha256 == hashlib.sha256(PLAN_PATH.read_bytes()).hexdigest()
    names = {o.name for o in loaded.plan.outcomes}
    assert {"emergency_admissions", "eq5d", "employed_days", "earnings"} <= names


def test_any_change_even_a_comment_changes_the_hash() -> None:
    text = PLAN_PATH.read_text()
    assert parse_plan(text).sha256 != parse_plan(text + "# a comment\n").sha256


def test_an_unknown_key_is_an_error_naming_it() -> None:
    text = PLAN_PATH.read_text().replace("  balance_threshold: 0.1", "  balance_treshold: 0.1")
    with pytest.raises(NightingaleError, match="comparison.balance_treshold"):
        parse_plan(text, "plan.yaml")


def test_an_unknown_secondary_analysis_is_an_error() -> None:
    text = PLAN_PATH.read_text().replace("secondary: [mixed, mice]", "secondary: [magic]")
    with pytest.raises(NightingaleError, match="secondary"):
        parse_plan(text)


def test_broken_yaml_is_a_readable_error() -> None:
    with pytest.raises(NightingaleError, match="not valid YAML"):
        parse_plan("plan: [unclosed", "plan.yaml")
