"""The catalogue: every table and column a cohort spec may use, and what each one is.

It is the reference a researcher reads to write a spec (``nightingale catalogue``,
docs/catalogue.md) and the list the compiler trusts: a spec naming anything not in it is
refused, identifier columns are allowed only through a generalising kind (an age band
from a date of birth), and the release's quasi-identifiers are derived from it.

Its provider tables are generated from the provider files (the same declarations ingest
validates with; :mod:`nightingale.platform.contracts.provider_schema`): one table per
extract file, ``record_id`` then the file's content columns. Derived tables that no
provider sends (``linkage.demographics``) are declared in ``catalogue.yaml``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nightingale.cohorts import spec as s
from nightingale.cohorts.codelists import CodelistError, parse_codelist
from nightingale.cohorts.codesystems import CodingSystem
from nightingale.cohorts.loading import SpecError
from nightingale.platform.contracts.provider_files import discover_providers
from nightingale.platform.contracts.provider_schema import FileSchema, ProviderSchema
from nightingale.platform.storage import DataRoot

ColumnType = Literal["string", "integer", "decimal", "date"]
Sensitivity = Literal["identifier", "special_category", "personal", "administrative"]

#: Baseline kinds whose value is itself a (generalised) quasi-identifier.
_QUASI_KINDS = ("index_month", "age_band")


class Column(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ColumnType
    #: The coding system of a coded column (its type is string), e.g. icd10.
    system: CodingSystem | None = None
    sensitivity: Sensitivity
    quasi_identifier: bool = False
    description: str


class Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    columns: dict[str, Column] = Field(min_length=1)


class Catalogue(BaseModel):
    """Tables by ``provider.table`` name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tables: dict[str, Table]

    def column(self, table: str, column: str) -> Column:
        """One column's entry; :class:`SpecError` when the catalogue has no such column."""
        entry = self.tables.get(table)
        if entry is None:
            known = ", ".join(sorted(self.tables))
            raise SpecError(f"unknown table {table!r} (the catalogue has: {known})")
        found = entry.columns.get(column)
        if found is None:
            known = ", ".join(entry.columns)
            raise SpecError(f"table {table!r} has no column {column!r} (it has: {known})")
        return found

    def check(self, spec: s.CohortSpec, source: str = "<spec>") -> None:
        """Refuse a spec that names unknown columns or releases an identifier as it is.

        An identifier may only be read as the value a generalising kind turns into a
        band (``kind: age_band``). A *condition* on an identifier is never generalised,
        wherever it sits (population, any variable's ``where``, an age band's own
        ``where``): it selects people by the exact value, and the released variable then
        says which people have it.
        """
        problems: list[str] = []
        for ref in _references(spec):
            try:
                entry = self.column(ref.table, ref.column)
            except SpecError as exc:
                problems.append(f"{source}: {ref.where}: {exc}")
                continue
            if entry.sensitivity != "identifier" or ref.use == "generalised":
                continue
            if ref.use == "condition":
                problems.append(
                    f"{source}: {ref.where}: a condition on {ref.table}.{ref.column}, which "
                    "is an identifier, is not generalised (it selects people by their exact "
                    "value); remove the condition"
                )
            else:
                problems.append(
                    f"{source}: {ref.where}: {ref.table}.{ref.column} is an identifier and "
                    "may only be released generalised (e.g. kind: age_band)"
                )
        problems += self._codelist_problems(spec, source)
        if problems:
            raise SpecError("; ".join(problems))

    def _codelist_problems(self, spec: s.CohortSpec, source: str) -> list[str]:
        """A codelist must match coded columns and hold no malformed code for their system."""
        problems: list[str] = []
        for _location, where, match in spec.codelist_uses():
            variable_table = _table_of(spec, where)
            embedded = spec.codelists.get(match.file)
            if embedded is None:
                problems.append(f"{source}: {where}.codelist: {match.file} is not embedded")
                continue
            try:
                codelist = parse_codelist(embedded.text, match.file, match.code_column)
            except CodelistError as exc:
                problems.append(f"{source}: {where}.codelist: {exc}")
                continue
            for column in match.columns:
                try:
                    entry = self.column(variable_table, column)
                except SpecError:
                    continue  # reported as an unknown column already
                if entry.system is None:
                    problems.append(
                        f"{source}: {where}.codelist: {variable_table}.{column} is not a coded "
                        "column (a codelist matches columns with a coding system)"
                    )
                    continue
                system = entry.system
                malformed = codelist.malformed(system)
                shown = "; ".join(malformed[:5])
                more = f" (and {len(malformed) - 5} more)" if len(malformed) > 5 else ""
                if malformed:
                    problems.append(
                        f"{source}: {where}.codelist: malformed {system} codes: {shown}{more}"
                    )
        return problems

    def quasi_identifiers(self, spec: s.CohortSpec) -> list[str]:
        """The release's person-level variables that are quasi-identifiers."""
        names = []
        for variable in spec.baseline:
            if variable.kind in _QUASI_KINDS or (
                isinstance(variable, s.RecordValue)
                and self.column(variable.table, variable.column).quasi_identifier
            ):
                names.append(variable.name)
        return names

    def to_markdown(self) -> str:
        """The catalogue as a Markdown page (docs/catalogue.md is generated from this)."""
        lines = [
            "# Catalogue: the tables and columns a cohort spec may use",
            "",
            "Generated by `nightingale catalogue --markdown` from the provider files "
            "(`nightingale/platform/contracts/providers/*.yaml`) and the derived tables "
            "in `nightingale/cohorts/catalogue.yaml`; do not edit by hand "
            "(a test checks this page is current). A data root's own providers "
            "(`<data_root>/providers/*.yaml`) are listed by `nightingale catalogue` there.",
            "",
            "Sensitivity: `identifier` (never released as it is), `special_category` "
            "(health data, UK GDPR article 9), `personal`, `administrative`. "
            "QI: a quasi-identifier, counted in the release's k-anonymity.",
        ]
        for name, table in self.tables.items():
            lines += ["", f"## `{name}`", "", table.description, ""]
            lines += ["| column | type | sensitivity | QI | description |"]
            lines += ["| --- | --- | --- | --- | --- |"]
            for column_name, column in table.columns.items():
                qi = "yes" if column.quasi_identifier else ""
                kind = f"{column.type} ({column.system})" if column.system else column.type
                lines.append(
                    f"| `{column_name}` | {kind} | {column.sensitivity} | {qi} | "
                    f"{column.description} |"
                )
        return "\n".join(lines) + "\n"


Use = Literal["value", "generalised", "condition"]


class Reference(NamedTuple):
    """One column a spec reads: where in the spec, and how.

    ``use`` is ``generalised`` when the value leaves only through a generalising kind
    (an age band's date of birth), ``condition`` when a condition tests it (population
    ``conditions`` or a variable's ``where``: never generalised, whatever the variable),
    else ``value``.
    """

    where: str
    table: str
    column: str
    use: Use = "value"


def _references(spec: s.CohortSpec) -> list[Reference]:
    """Every column the spec reads, with where it reads it."""
    found: list[Reference] = []
    population = spec.population
    for column in [population.index_date, population.exposure.column]:
        found.append(Reference("population", population.source, column))
    if population.end_date:
        found.append(Reference("population.end_date", population.source, population.end_date))
    for number, condition in enumerate(population.conditions):
        where = f"population.conditions[{number}]"
        found.append(Reference(where, population.source, condition.column, "condition"))
    for number, required in enumerate(population.requires):
        where = f"population.requires[{number}]"
        found.append(Reference(where, required.table, required.date, "condition"))
    death = spec.follow_up.censoring.death
    if death is not None:
        found.append(Reference("follow_up.censoring.death", death.table, death.date))
    named: list[tuple[str, s.Baseline | s.Outcome]] = [("baseline", v) for v in spec.baseline]
    named += [("follow_up.outcomes", o) for o in spec.follow_up.outcomes]
    for part, variable in named:
        where = f"{part}.{variable.name}"
        table = getattr(variable, "table", None)
        if table is None:
            continue
        use: Use = "generalised" if isinstance(variable, s.AgeBand) else "value"
        for column in _value_columns(variable):
            found.append(Reference(where, table, column, use))
        for number, condition in enumerate(getattr(variable, "where", [])):
            label = f"{where}.where[{number}]"
            found.append(Reference(label, table, condition.column, "condition"))
        match = getattr(variable, "codelist", None)
        if isinstance(match, s.CodelistMatch):
            for column in match.columns:
                found.append(Reference(f"{where}.codelist", table, column, "condition"))
    return found


def _table_of(spec: s.CohortSpec, where: str) -> str:
    """The table of the variable at ``where`` (``baseline.x`` or ``follow_up.outcomes.y``)."""
    name = where.rpartition(".")[2]
    variables = spec.baseline if where.startswith("baseline.") else spec.follow_up.outcomes
    return next(str(getattr(v, "table", "")) for v in variables if v.name == name)


def _value_columns(variable: object) -> list[str]:
    """The columns whose values a variable measures (its ``where`` conditions aside)."""
    columns: list[str] = []
    for attribute in ("date", "column", "start", "end"):
        value = getattr(variable, attribute, None)
        if isinstance(value, str):
            columns.append(value)
    for attribute in ("columns", "days_between"):
        columns.extend(getattr(variable, attribute, None) or [])
    return columns


def table_columns(spec: s.CohortSpec) -> dict[str, list[str]]:
    """Each table the spec reads and the columns it needs from it, in first-use order."""
    needed: dict[str, list[str]] = {}
    for ref in _references(spec):
        columns = needed.setdefault(ref.table, [])
        if ref.column not in columns:
            columns.append(ref.column)
    return needed


def columns_read(spec: s.CohortSpec) -> list[tuple[str, str, str]]:
    """Every ``(where in the spec, table, column)`` the spec reads, in document order."""
    return [(where, table, column) for where, table, column, _generalised in _references(spec)]


def datasets_read(spec: s.CohortSpec) -> list[str]:
    """The datasets whose tables the spec reads (a table is named ``dataset.table``)."""
    return sorted({table.partition(".")[0] for table in table_columns(spec)})


def provider_tables(provider: ProviderSchema) -> dict[str, Table]:
    """The catalogue's tables of one provider: one per extract file, as ingest writes it.

    A table is ``record_id`` (described by the file's ``record``) and then the file's
    content columns in file order; the local key and identifiers never reach the
    content zone, so they are not in the catalogue.
    """
    return {
        f"{provider.provider}.{declared.table}": _table(declared) for declared in provider.files()
    }


def _table(declared: FileSchema) -> Table:
    columns = {
        "record_id": Column(
            type="string", sensitivity="administrative", description=declared.record
        )
    }
    for name in declared.in_zone("content"):
        column = declared.columns[name]
        assert column.sensitivity is not None and column.description is not None  # the rules
        columns[name] = Column(
            type="string" if column.type == "code" else column.type,
            system=column.system,
            sensitivity=column.sensitivity,
            quasi_identifier=column.quasi_identifier,
            description=column.description,
        )
    return Table(description=declared.description, columns=columns)


def _derived_tables() -> dict[str, Table]:
    """The tables no provider sends (``catalogue.yaml``: linkage.demographics)."""
    text = resources.files("nightingale.cohorts").joinpath("catalogue.yaml").read_text("utf-8")
    try:
        return Catalogue.model_validate(yaml.safe_load(text)).tables
    except ValidationError as exc:  # pragma: no cover - the shipped file is tested
        raise SpecError(f"catalogue.yaml is invalid: {exc}") from exc


def catalogue_for(root: DataRoot | None = None) -> Catalogue:
    """The catalogue of the shipped providers plus those in ``root``'s operator folder."""
    tables = dict(_derived_tables())
    for provider in discover_providers(root).values():
        tables.update(provider_tables(provider))
    return Catalogue(tables=tables)


@cache
def default_catalogue() -> Catalogue:
    """The platform's catalogue: the derived tables and the shipped providers' tables."""
    return catalogue_for(None)
