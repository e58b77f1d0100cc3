"""Provider files: malformed ones refused naming file, line and field; every rule; discovery."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from nightingale.platform.contracts.provider_files import (
    ProviderFileError,
    discover_providers,
    find_provider,
    load_provider,
    operator_folder,
    parse_provider,
    shipped_folder,
)
from nightingale.platform.contracts.provider_schema import json_schema_text
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot

DOCS = Path(__file__).parents[2] / "docs"

# A small valid provider; each rule's test changes one line of it.
VALID = """\
provider: north
date_format: "%d-%m-%Y"
people:
  file: tenants.csv
  description: Tenancies.
  record: The tenancy.
  identifiers:
    given_name: [first_names]
    postcode: [post_code]
  columns:
    tenancy_no: {zone: key, pattern: '^N\\d+$', required: true, unique: true}
    first_names: {zone: linkage}
    post_code: {zone: linkage}
    rooms: {type: integer, min: 1, max: 9, sensitivity: personal, description: Rooms.}
    started: {type: date, sensitivity: personal, description: Start.}
events:
  - file: repairs.csv
    description: Repairs.
    record: The tenancy.
    columns:
      tenancy_no: {zone: key, required: true}
      kind: {values: [damp, roof], sensitivity: personal, description: What.}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ProviderFileError) as caught:
        parse_provider(text, "north.yaml")
    return caught.value.problems


def _changed(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def test_the_valid_example_is_valid() -> None:
    schema = parse_provider(VALID, "north.yaml")
    assert schema.people.key == "tenancy_no"
    assert schema.people.in_zone("content") == ["rooms", "started"]
    assert [f.table for f in schema.files()] == ["tenants", "repairs"]


def test_every_shipped_provider_file_is_valid() -> None:
    files = sorted(p.name for p in shipped_folder().glob("*.yaml"))
    assert files == ["employment.yaml", "health.yaml", "housing.yaml"]
    for path in shipped_folder().glob("*.yaml"):
        assert load_provider(path).provider == path.stem


# -- malformed YAML: file and line ------------------------------------------------------


def test_yaml_that_does_not_parse_is_refused_with_its_line() -> None:
    (problem,) = _problems(_changed("    record: The tenancy.\n", "    record: [The tenancy.\n"))
    assert problem.startswith("north.yaml:")
    assert "not valid YAML" in problem
    line = int(problem.split(":")[1])
    assert line >= VALID.splitlines().index("    record: The tenancy.") + 1


def test_a_key_given_twice_is_refused_with_the_second_line() -> None:
    text = _changed("    started:", "    rooms: {type: string}\n    started:")
    assert _problems(text) == ["north.yaml:15: people.columns.rooms: given twice"]


def test_a_wrong_type_names_the_line_and_field() -> None:
    (problem,) = _problems(_changed("min: 1,", "min: one,"))
    assert problem.startswith("north.yaml:14: people.columns.rooms.min: ")


def test_an_unknown_field_names_its_line() -> None:
    text = _changed(
        "  record: The tenancy.\n  identifiers", "  recrod: The tenancy.\n  identifiers"
    )
    assert _problems(text) == [
        "north.yaml:3: people.record: Field required",
        "north.yaml:6: people.recrod: Extra inputs are not permitted",
    ]


def test_a_missing_field_names_the_nearest_line_that_holds_it() -> None:
    (problem,) = _problems(_changed("    description: Repairs.\n", ""))
    assert problem == "north.yaml:17: events[0].description: Field required"


def test_an_empty_file_and_a_list_are_refused() -> None:
    assert _problems("") == ["north.yaml:1: (top): empty file"]
    assert _problems("- a\n") == ["north.yaml:1: (top): a provider file is a mapping of fields"]


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = _changed("min: 1, max: 9", "min: 9, max: 1").replace("provider: north", "provider: N")
    problems = _problems(text)
    assert [p.split(": ")[1] for p in problems] == ["provider", "people.columns.rooms.max"]


# -- the rules ----------------------------------------------------------------------------

RULES = [
    ("provider: north", "provider: linkage", 1, "provider", "lower-case"),
    ('date_format: "%d-%m-%Y"', 'date_format: "dd-mm-yyyy"', 2, "date_format", "no strptime"),
    ("  file: tenants.csv", "  file: Tenants.txt", 4, "people.file", "ending in .csv"),
    (
        "tenancy_no: {zone: key, pattern: '^N\\d+$', required: true, unique: true}",
        "tenancy_no: {pattern: '^N\\d+$', required: true, unique: true, sensitivity: personal,"
        " description: x}",
        10,
        "people.columns",
        "exactly one zone: key column (found 0",
    ),
    (
        "required: true, unique: true}",
        "required: true}",
        11,
        "people.columns.tenancy_no.unique",
        "must be unique",
    ),
    (
        "      tenancy_no: {zone: key, required: true}",
        "      tenancy_no: {zone: key}",
        21,
        "events[0].columns.tenancy_no.required",
        "must be required",
    ),
    (
        "post_code: {zone: linkage}",
        "post_code: {zone: linkage, required: true}",
        13,
        "people.columns.post_code.required",
        "an identifier takes no rules",
    ),
    (
        "post_code: {zone: linkage}",
        "post_code: {zone: linkage, type: date}",
        13,
        "people.columns.post_code.type",
        "is text",
    ),
    (
        "post_code: {zone: linkage}",
        "post_code: {zone: linkage, sensitivity: personal}",
        13,
        "people.columns.post_code.sensitivity",
        "never leaves",
    ),
    (
        "kind: {values",
        "name: {zone: linkage}\n      kind: {values",
        22,
        "events[0].columns.name.zone",
        "identifiers come in the people file",
    ),
    (
        "    postcode: [post_code]",
        "    postcode: [rooms]",
        9,
        "people.identifiers.postcode",
        "give it zone: linkage",
    ),
    (
        "    postcode: [post_code]",
        "    postcode: [postal]",
        9,
        "people.identifiers.postcode",
        "not a column of tenants.csv",
    ),
    (
        "    postcode: [post_code]",
        "    shoe_size: [post_code]",
        9,
        "people.identifiers.shoe_size",
        "Input should be 'given_name'",
    ),
    (
        "sensitivity: personal, description: Start.",
        "description: Start.",
        15,
        "people.columns.started.sensitivity",
        "needs a sensitivity",
    ),
    (
        "sensitivity: personal, description: Start.",
        "sensitivity: personal",
        15,
        "people.columns.started.description",
        "needs a description",
    ),
    ("min: 1, max: 9", "min: 9, max: 1", 14, "people.columns.rooms.max", "below min"),
    ("min: 1, max: 9", "min: 1.5", 14, "people.columns.rooms.min", "whole number"),
    (
        "{type: date, sensitivity",
        "{type: date, min: 1, sensitivity",
        15,
        "people.columns.started.min",
        "integer or decimal",
    ),
    (
        "{type: date, sensitivity",
        "{type: date, format: 'x', sensitivity",
        15,
        "people.columns.started.format",
        "no strptime",
    ),
    (
        "{type: integer, min: 1, max: 9,",
        "{format: '%Y',",
        14,
        "people.columns.rooms.format",
        "date columns",
    ),
    (
        "{type: integer, min: 1, max: 9,",
        "{type: integer, pattern: 'x',",
        14,
        "people.columns.rooms.pattern",
        "string or code",
    ),
    (
        "{type: integer, min: 1, max: 9,",
        "{pattern: '([',",
        14,
        "people.columns.rooms.pattern",
        "not a regular expression",
    ),
    (
        "values: [damp, roof]",
        "values: [damp, damp]",
        22,
        "events[0].columns.kind.values",
        "listed twice",
    ),
    (
        "values: [damp, roof]",
        "values: [yes, no]",
        22,
        "events[0].columns.kind.values[0]",
        "valid string",
    ),
    (
        "{values: [damp, roof],",
        "{type: code,",
        22,
        "events[0].columns.kind.system",
        "names its coding system",
    ),
    (
        "{values: [damp, roof],",
        "{system: icd10,",
        22,
        "events[0].columns.kind.system",
        "names its coding system",
    ),
    (
        "    started:",
        "    record_id: {sensitivity: personal, description: x}\n    started:",
        15,
        "people.columns.record_id",
        "written by ingest",
    ),
    (
        "    started:",
        "    Started_On: {sensitivity: personal, description: x}\n    started:",
        15,
        "people.columns.Started_On",
        "lower-case",
    ),
    ("  - file: repairs.csv", "  - file: tenants.csv", 17, "events[0].file", "declared twice"),
]


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), RULES)
def test_each_rule_is_refused_naming_file_line_and_field(
    old: str, new: str, line: int, field: str, message: str
) -> None:
    problems = _problems(_changed(old, new))
    expected = f"north.yaml:{line}: {field}: "
    assert any(p.startswith(expected) and message in p for p in problems), problems


def test_a_code_column_names_its_system() -> None:
    text = _changed("{values: [damp, roof],", "{type: code, system: icd10, pattern: '^[A-Z]',")
    column = parse_provider(text, "north.yaml").events[0].columns["kind"]
    assert (column.type, column.system) == ("code", "icd10")


# -- discovery ----------------------------------------------------------------------------


def test_an_operator_file_adds_a_provider_to_the_shipped_ones(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    assert list(discover_providers(root)) == ["employment", "health", "housing"]
    operator_folder(root).mkdir()
    (operator_folder(root) / "north.yaml").write_text(VALID, encoding="utf-8")
    assert list(discover_providers(root)) == ["employment", "health", "housing", "north"]
    assert find_provider("north", root).people.file == "tenants.csv"
    assert "north" not in discover_providers()  # another data root does not see it


def test_an_operator_file_may_not_take_a_shipped_name(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    operator_folder(root).mkdir()
    clash = operator_folder(root) / "mine.yaml"
    clash.write_text(VALID.replace("provider: north", "provider: housing"), encoding="utf-8")
    with pytest.raises(ProviderFileError, match=r"mine.yaml: provider 'housing' is already"):
        discover_providers(root)


def test_a_broken_operator_file_is_named_when_providers_are_read(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    operator_folder(root).mkdir()
    (operator_folder(root) / "north.yaml").write_text(VALID.replace("min: 1", "min: x"))
    with pytest.raises(ProviderFileError, match=r"north.yaml:14: people.columns.rooms.min"):
        find_provider("health", root)


def test_an_unknown_provider_is_named_with_the_known_ones() -> None:
    with pytest.raises(NightingaleError, match="unknown provider 'council'; known: employment"):
        find_provider("council")


# -- the published JSON Schema ------------------------------------------------------------


def test_the_published_json_schema_is_current() -> None:
    published = DOCS / "provider.schema.json"
    assert published.read_text(encoding="utf-8") == json_schema_text(), (
        "regenerate: nightingale provider schema > docs/provider.schema.json"
    )


def test_the_shipped_files_and_the_example_pass_the_json_schema() -> None:
    schema = json.loads(json_schema_text())
    for path in [*shipped_folder().glob("*.yaml")]:
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    jsonschema.validate(yaml.safe_load(VALID), schema)
