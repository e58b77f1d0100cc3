"""A provider's extract layout, declared as data: the model of a provider file.

A provider file (YAML, one per provider) says which files the provider sends, their
columns, how each column is typed and checked, and where each column goes:

- ``zone: key``: the provider-local key (one per file); ingest swaps it for a
  ``record_id`` and keeps the map in the linkage zone;
- ``zone: linkage``: an identifier (people file only), sealed into the linkage zone and
  never seen by researchers;
- ``zone: content`` (the default): research content, typed and written to the content
  zone, described for the catalogue (sensitivity, quasi-identifier flag, description).

Linkage builds its validation (pandera) from this model and cohorts builds the
catalogue's provider tables from it, so the two can never disagree about a column. The
model checks each field's shape; :func:`rule_problems` checks what spans fields (one key
per file, identifiers only in the people file, a rule that fits the column's type).
:mod:`.provider_files` reads the YAML, keeping line numbers for the messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

#: The platform's identifier fields (``nightingale.linkage.fields.IDENTIFIER_FIELDS``;
#: a linkage test keeps the two equal).
IdentifierField = Literal[
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
    "ni_number",
]
Zone = Literal["key", "linkage", "content"]
ColumnType = Literal["string", "integer", "decimal", "date", "code"]
#: Coding systems of ``type: code`` columns.
CodingSystem = Literal["icd10", "opcs4", "snomedct"]
Sensitivity = Literal["identifier", "special_category", "personal", "administrative"]

#: Where a problem is: the path of keys and list positions from the top of the file.
Location = tuple[str | int, ...]

#: Provider, table and column names: what a cohort spec writes (``provider.table``).
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
FILE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}\.csv$")
#: Names a provider may not take: ``linkage`` holds the derived tables (demographics).
RESERVED_PROVIDERS = frozenset({"linkage"})
#: Column names ingest writes itself.
RESERVED_COLUMNS = frozenset({"record_id"})


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnSchema(_Strict):
    """One column of an extract file: its zone, type, rules and catalogue entry."""

    zone: Zone = Field(
        default="content",
        description="key (the provider-local key), linkage (an identifier) or content.",
    )
    type: ColumnType = Field(
        default="string", description="How the content zone types the column's text."
    )
    system: CodingSystem | None = Field(
        default=None, description="Coding system of a type: code column."
    )
    format: StrictStr | None = Field(
        default=None,
        description="strptime format of a date column (default: the provider's date_format).",
    )
    pattern: StrictStr | None = Field(
        default=None, description="Regular expression every present value must match."
    )
    values: list[StrictStr] | None = Field(
        default=None, min_length=1, description="The values allowed (anything else quarantines)."
    )
    min: float | None = Field(default=None, description="Smallest number allowed.")
    max: float | None = Field(default=None, description="Largest number allowed.")
    required: bool = Field(default=False, description="A row without a value is quarantined.")
    unique: bool = Field(default=False, description="A value seen twice quarantines both rows.")
    sensitivity: Sensitivity | None = Field(
        default=None, description="Catalogue sensitivity of a content column."
    )
    quasi_identifier: bool = Field(
        default=False, description="Counted in a release's k-anonymity (content columns)."
    )
    description: StrictStr | None = Field(
        default=None, description="What the column holds (the catalogue shows it)."
    )

    def date_format(self, default: str) -> str:
        """The strptime format of this (date) column."""
        return self.format or default


class FileSchema(_Strict):
    """One extract file: its name, what its table is, and its columns in file order."""

    file: StrictStr = Field(description="The file's name, e.g. tenancies.csv.")
    description: StrictStr = Field(description="What one row is (the catalogue's table text).")
    record: StrictStr = Field(
        description="What the row's record_id names (the catalogue's record_id text)."
    )
    columns: dict[str, ColumnSchema] = Field(min_length=1, description="Columns in file order.")

    @property
    def table(self) -> str:
        """The table's name in the content zone and the catalogue: the file's stem."""
        return self.file.removesuffix(".csv")

    @property
    def key(self) -> str:
        """The provider-local key column (the rules make sure there is exactly one)."""
        return next(name for name, column in self.columns.items() if column.zone == "key")

    def in_zone(self, zone: Zone) -> list[str]:
        """The names of the columns that go to ``zone``, in file order."""
        return [name for name, column in self.columns.items() if column.zone == zone]


class PeopleFileSchema(FileSchema):
    """The people file: the only file with identifiers, one row per provider record."""

    identifiers: dict[IdentifierField, list[StrictStr]] = Field(
        min_length=1,
        description="Identifier field -> the linkage columns that make it (joined by a space).",
    )


class ProviderSchema(_Strict):
    """Everything ingest and the catalogue need to know about one provider."""

    provider: StrictStr = Field(description="The provider's name (its datasets' prefix).")
    description: StrictStr | None = Field(default=None, description="Who sends these files.")
    date_format: StrictStr = Field(
        default="%Y-%m-%d",
        description="strptime format of the provider's dates (dates of birth, date columns).",
    )
    people: PeopleFileSchema
    events: list[FileSchema] = Field(default_factory=list)

    def files(self) -> list[FileSchema]:
        """The people file, then the event files."""
        return [self.people, *self.events]


def _date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot read dates, or None."""
    if "%" not in fmt:
        return f"{fmt!r} has no strptime directive (e.g. %Y-%m-%d)"
    sample = datetime(2001, 2, 3)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        return f"{fmt!r} is not a strptime format that reads back ({exc})"
    return None


def _column_problems(
    column: ColumnSchema, where: Location, date_format: str
) -> Iterator[tuple[Location, str]]:
    numeric = column.type in ("integer", "decimal")
    textual = column.type in ("string", "code")
    if column.pattern is not None:
        if not textual:
            yield (
                (*where, "pattern"),
                f"a pattern applies to string or code columns, not {column.type}",
            )
        else:
            try:
                re.compile(column.pattern)
            except re.error as exc:
                yield (*where, "pattern"), f"not a regular expression ({exc})"
    if column.values is not None:
        if not textual:
            yield (*where, "values"), f"values apply to string or code columns, not {column.type}"
        elif len(set(column.values)) != len(column.values):
            yield (*where, "values"), "a value is listed twice"
    for bound in ("min", "max"):
        if getattr(column, bound) is not None and not numeric:
            yield (*where, bound), f"{bound} applies to integer or decimal columns"
        value = getattr(column, bound)
        if column.type == "integer" and value is not None and not value.is_integer():
            yield (*where, bound), f"{bound} of an integer column must be a whole number"
    if column.min is not None and column.max is not None and column.min > column.max:
        yield (*where, "max"), f"max {column.max:g} is below min {column.min:g}"
    if column.format is not None and column.type != "date":
        yield (*where, "format"), f"a format applies to date columns, not {column.type}"
    if column.type == "date":
        problem = _date_format_problem(column.date_format(date_format))
        if problem:
            yield (*where, "format"), problem
    if (column.type == "code") != (column.system is not None):
        yield (*where, "system"), "a code column names its coding system (and only a code column)"


def _zone_problems(column: ColumnSchema, where: Location) -> Iterator[tuple[Location, str]]:
    if column.zone == "content":
        for field in ("sensitivity", "description"):
            if getattr(column, field) is None:
                yield (*where, field), f"a content column needs a {field} (for the catalogue)"
        return
    for field in ("sensitivity", "quasi_identifier"):
        if field in column.model_fields_set:
            yield (*where, field), f"{field} describes content; a {column.zone} column never leaves"
    if column.type != "string":
        yield (*where, "type"), f"a {column.zone} column is text (type: string)"
    if column.zone == "linkage":
        rules = ("pattern", "values", "min", "max", "format", "required", "unique")
        for rule in rules:
            if rule in column.model_fields_set:
                yield (
                    (*where, rule),
                    "an identifier takes no rules: a malformed one is kept and marked invalid "
                    "when linkage normalises it, not quarantined",
                )
    elif not column.required:
        yield (*where, "required"), "the key column must be required: true"


def _file_problems(
    spec: FileSchema, where: Location, date_format: str, people: bool
) -> Iterator[tuple[Location, str]]:
    if not FILE_NAME.match(spec.file):
        yield (
            (*where, "file"),
            (
                f"{spec.file!r}: a file name is lower-case letters, digits and _ ending in .csv "
                "(its stem names the table)"
            ),
        )
    keys = spec.in_zone("key")
    if len(keys) != 1:
        yield (
            (*where, "columns"),
            (f"a file has exactly one zone: key column (found {len(keys)}: {', '.join(keys)})"),
        )
    elif people and not spec.columns[keys[0]].unique:
        yield (*where, "columns", keys[0], "unique"), "the people file's key must be unique: true"
    for name, column in spec.columns.items():
        at = (*where, "columns", name)
        if not NAME.match(name):
            yield at, f"{name!r}: a column name is lower-case letters, digits and _"
        if name in RESERVED_COLUMNS:
            yield at, f"{name!r} is written by ingest; a file may not carry it"
        if column.zone == "linkage" and not people:
            yield (*at, "zone"), "identifiers come in the people file; an event file has none"
        yield from _zone_problems(column, at)
        yield from _column_problems(column, at, date_format)


def rule_problems(schema: ProviderSchema) -> list[tuple[Location, str]]:
    """Every rule that spans fields which ``schema`` breaks, with where (empty when none)."""
    problems: list[tuple[Location, str]] = []
    if not NAME.match(schema.provider) or schema.provider in RESERVED_PROVIDERS:
        problems.append(
            (
                ("provider",),
                f"{schema.provider!r}: a provider name is lower-case letters, digits and _ "
                f"(not {', '.join(sorted(RESERVED_PROVIDERS))})",
            )
        )
    problem = _date_format_problem(schema.date_format)
    if problem:
        problems.append((("date_format",), problem))
    problems += _file_problems(schema.people, ("people",), schema.date_format, people=True)
    for number, event in enumerate(schema.events):
        problems += _file_problems(event, ("events", number), schema.date_format, people=False)
    seen: dict[str, Location] = {schema.people.table: ("people", "file")}
    for number, event in enumerate(schema.events):
        if event.table in seen:
            problems.append((("events", number, "file"), f"{event.file!r} is declared twice"))
        seen[event.table] = ("events", number, "file")
    for field, columns in schema.people.identifiers.items():
        at: Location = ("people", "identifiers", field)
        if not columns:
            problems.append((at, "name at least one column"))
        for name in columns:
            column = schema.people.columns.get(name)
            if column is None:
                problems.append((at, f"{name!r} is not a column of {schema.people.file}"))
            elif column.zone != "linkage":
                problems.append((at, f"{name!r} is an identifier: give it zone: linkage"))
    return problems


SCHEMA_ID = "https://nightingale.example/schemas/provider.schema.json"


def json_schema_text() -> str:
    """The JSON Schema of a provider file, as published in docs/provider.schema.json.

    Editors validate and complete a provider file as it is typed when it starts with
    ``# yaml-language-server: $schema=<path to docs/provider.schema.json>``; the rules
    that span fields are checked by ``nightingale provider validate`` only.
    """
    schema = ProviderSchema.model_json_schema(mode="validation")
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
