"""The cohort spec's JSON Schema, published for editors (docs/cohort-spec.schema.json).

Editors such as VS Code (with the YAML extension) validate and complete a spec as it is
typed when the file starts with
``# yaml-language-server: $schema=../../docs/cohort-spec.schema.json``.
A test checks the published file matches the model.
"""

from __future__ import annotations

import json
from typing import Any

from nightingale.cohorts.spec import CohortSpec

SCHEMA_ID = "https://nightingale.example/schemas/cohort-spec.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`CohortSpec` (input form: what a YAML file may say)."""
    schema = CohortSpec.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render() -> str:
    """The schema as stable, pretty JSON text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
