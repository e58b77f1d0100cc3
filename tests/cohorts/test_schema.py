"""The published JSON Schema is current and accepts the pilot's spec as editors see it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from nightingale.cohorts.schema import json_schema, render
from tests.cohorts.conftest import PILOT_SPEC

PUBLISHED = Path(__file__).parents[2] / "docs" / "cohort-spec.schema.json"


def _as_json(value: Any) -> Any:
    """YAML dates become the ISO strings an editor's JSON view holds."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def test_the_published_schema_is_current() -> None:
    assert PUBLISHED.read_text() == render(), (
        "regenerate: nightingale cohort schema > docs/cohort-spec.schema.json"
    )


def test_the_pilot_spec_validates_against_the_schema() -> None:
    jsonschema.validate(_as_json(yaml.safe_load(PILOT_SPEC.read_text())), json.loads(render()))


def test_the_schema_rejects_an_unknown_field() -> None:
    spec = _as_json(yaml.safe_load(PILOT_SPEC.read_text()))
    spec["population"]["sauce"] = "secret"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(spec, json_schema())
