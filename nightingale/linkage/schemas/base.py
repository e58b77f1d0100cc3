"""The spec of a provider's files that ingest works from, built from its provider file.

A provider file (:mod:`nightingale.platform.contracts.provider_schema`) declares the
files, columns, rules and zones; :func:`provider_spec` turns it into what ingest needs:
a pandera schema per file (columns in file order, each with the checks its type and
rules ask for) and the people file's key, identifier fields and extra identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.pandas as pa

from nightingale.linkage.schemas.checks import (
    is_date,
    is_number,
    is_whole_number,
    matches,
    one_of,
    text,
)
from nightingale.platform.contracts.provider_schema import (
    ColumnSchema,
    FileSchema,
    ProviderSchema,
)
from nightingale.platform.errors import NightingaleError


@dataclass(frozen=True)
class PeopleFile:
    """A provider's people file: local key, identifier columns and their fields."""

    name: str
    key: str
    schema: pa.DataFrameSchema
    #: identifier field -> the columns that make it (joined with a space when several)
    identifiers: dict[str, tuple[str, ...]]
    #: identifier columns kept in the linkage zone that are not linkage fields
    extra_identifiers: tuple[str, ...] = ()

    @property
    def identifier_columns(self) -> set[str]:
        used = {c for columns in self.identifiers.values() for c in columns}
        return used | set(self.extra_identifiers)


@dataclass(frozen=True)
class EventFile:
    """An event file: content keyed by the people file's local key."""

    name: str
    key: str
    schema: pa.DataFrameSchema


@dataclass(frozen=True)
class ProviderSpec:
    """Everything ingest needs to know about one provider."""

    name: str
    date_format: str
    people: PeopleFile
    events: tuple[EventFile, ...] = field(default=())

    def file(self, file_name: str) -> PeopleFile | EventFile:
        """The spec of ``file_name`` (a people or event file of this provider)."""
        files: list[PeopleFile | EventFile] = [self.people, *self.events]
        for spec in files:
            if spec.name == file_name:
                return spec
        known = ", ".join(s.name for s in files)
        raise NightingaleError(
            f"{file_name}: not a {self.name} extract file (expected one of: {known})"
        )


def column(declared: ColumnSchema, date_format: str) -> pa.Column:
    """The pandera column of a declared column: its rules, then its type's check."""
    if declared.zone == "linkage":
        return text()  # identifiers are checked by the normalisers, never quarantined
    checks: list[pa.Check] = []
    if declared.pattern is not None:
        checks.append(matches(declared.pattern))
    if declared.values is not None:
        checks.append(one_of(declared.values))
    kind: dict[str, str] = {"type": "string"}
    if declared.type == "date":
        fmt = declared.date_format(date_format)
        checks.append(is_date(fmt))
        kind = {"type": "date", "format": fmt}
    elif declared.type == "integer":
        low, high = (None if b is None else int(b) for b in (declared.min, declared.max))
        checks.append(is_whole_number(low, high))  # whole bounds: the rules say so
        kind = {"type": "integer"}
    elif declared.type == "decimal":
        checks.append(is_number(declared.min, declared.max))
        kind = {"type": "decimal"}
    elif declared.type == "code":
        kind = {"type": "code", "system": str(declared.system)}
    return text(*checks, required=declared.required, unique=declared.unique, kind=kind)


def _frame_schema(declared: FileSchema, date_format: str) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {name: column(c, date_format) for name, c in declared.columns.items()}
    )


def provider_spec(declared: ProviderSchema) -> ProviderSpec:
    """What ingest works from, for the provider ``declared`` describes."""
    people = declared.people
    identifiers: dict[str, tuple[str, ...]] = {
        str(field): tuple(columns) for field, columns in people.identifiers.items()
    }
    used = {c for columns in identifiers.values() for c in columns}
    return ProviderSpec(
        name=declared.provider,
        date_format=declared.date_format,
        people=PeopleFile(
            name=people.file,
            key=people.key,
            schema=_frame_schema(people, declared.date_format),
            identifiers=identifiers,
            extra_identifiers=tuple(c for c in people.in_zone("linkage") if c not in used),
        ),
        events=tuple(
            EventFile(event.file, event.key, _frame_schema(event, declared.date_format))
            for event in declared.events
        ),
    )
