"""The cohort spec: a small, frozen, validated model a data steward can read and approve.

A spec says which people (``population``), which baseline variables (measured in
windows before the index date), which follow-up periods and outcomes, and nothing else.
Every table and column it names is checked against the catalogue by
:func:`nightingale.cohorts.catalogue.Catalogue.check`; the compiler
(:mod:`nightingale.cohorts.compile`) turns the model into SQL.

Time rules (the same on every engine, and tested at the boundaries):

- A window is ``[index + start, index + end)``: the start day is in, the end day is out.
  ``start: -12 months`` and ``end: 0 days`` is "the 12 months before the index date".
- Months are calendar months; adding months clamps to the month's last day
  (2020-02-29 + 12 months = 2021-02-28).
- Follow-up ends on the *exit date*, the earliest of death, the end of the population
  record (moving out), the end of data and the day before the last period ends. The exit
  day itself is at risk: events on it count and it adds one day of time at risk.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from nightingale.cohorts.codelists import text_sha256

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
TABLE_PATTERN = r"^[a-z][a-z0-9_]{0,62}\.[a-z][a-z0-9_]{0,62}$"
_OFFSET = re.compile(r"^\s*([+-]?\d{1,4})\s+(day|days|month|months|year|years)\s*$")
_PERIOD = re.compile(r"^\s*(\d{1,3})\s*-\s*(\d{1,3})\s*$")

#: A relative path to a CSV file (no leading ``/``; characters safe in a SQL comment).
CODELIST_FILE_PATTERN = r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*\.csv$"

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
TableRef = Annotated[str, Field(pattern=TABLE_PATTERN, description="'provider.table'")]
Value = str | int | float | date


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Offset(_Frozen):
    """A signed distance from the index date: whole days or calendar months."""

    amount: int
    unit: Literal["days", "months"]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _OFFSET.match(value)
        if not match:
            raise ValueError(f"{value!r} is not an offset like '-12 months' or '0 days'")
        amount, unit = int(match[1]), match[2]
        if unit.startswith("year"):
            return {"amount": amount * 12, "unit": "months"}
        return {"amount": amount, "unit": "months" if unit.startswith("month") else "days"}

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Editors should offer the readable text form the YAML uses."""
        text = {"type": "string", "pattern": _OFFSET.pattern, "examples": ["-12 months"]}
        return {"anyOf": [text, handler(core_schema)]}


class Window(_Frozen):
    """``[index + start, index + end)``; no ``start`` means all history before ``end``."""

    start: Offset | None = None
    end: Offset

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        start, end = self.start, self.end
        if start is not None and start.unit == end.unit and start.amount >= end.amount:
            raise ValueError(f"window start {self.start} must be before its end {self.end}")
        return self


class Condition(_Frozen):
    """One filter on a column; exactly one of ``equals``, ``in``, ``between``, ``is_null``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    column: Name
    equals: Value | None = None
    in_: list[Value] | None = Field(default=None, alias="in", min_length=1)
    between: tuple[Value, Value] | None = Field(default=None, description="inclusive at both ends")
    is_null: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [
            name
            for name in ("equals", "in_", "between", "is_null")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError("a condition needs exactly one of: equals, in, between, is_null")
        return self


class Exposure(_Frozen):
    """The exposure variable: a column's values mapped to groups (others are excluded)."""

    name: Name
    column: Name
    groups: dict[str, int] = Field(min_length=1)


class Requirement(_Frozen):
    """Only people with a record in ``table`` dated on or before their index date are in.

    ``{table: health.gp_registrations, date: registration_date}`` keeps tenants registered
    with a GP at index: only their health is observed from the start, and people without
    a record would otherwise form small groups of their own (missing values) in the
    release's k-anonymity.
    """

    table: TableRef
    date: Name = Field(description="date column; a record dated on or before the index counts")


class Population(_Frozen):
    """Who is in: the earliest qualifying record per person of ``source``."""

    source: TableRef
    index_date: Name = Field(description="date column giving each record's index date")
    end_date: Name | None = Field(
        default=None, description="date column ending the record (e.g. moving out); censors"
    )
    conditions: list[Condition] = Field(default_factory=list)
    requires: list[Requirement] = Field(
        default_factory=list,
        description="records a person must have in other tables, dated on or before the index",
    )
    exposure: Exposure


class _Events(_Frozen):
    table: TableRef
    where: list[Condition] = Field(default_factory=list)


class CodelistMatch(_Frozen):
    """Keep only the rows whose coded column matches a codelist (module ``codelists``).

    ICD-10 and OPCS-4 codes match by prefix (``J45`` matches ``J459``), SNOMED CT codes
    exactly; dots and case do not matter. With several columns (primary and secondary
    diagnoses) a row matches when any of them does.
    """

    file: str = Field(
        pattern=CODELIST_FILE_PATTERN,
        description="OpenCodelists CSV, relative to the spec (else the shipped examples)",
    )
    column: Name | list[Name] = Field(description="the coded column(s) of the table")
    code_column: str = Field(default="code", min_length=1, description="the CSV's column of codes")

    @property
    def columns(self) -> list[str]:
        return [self.column] if isinstance(self.column, str) else list(self.column)


class EmbeddedCodelist(_Frozen):
    """A codelist's text carried in the spec, so an approved spec covers its codes.

    Written by ``embed_codelists`` (module ``loading``) when a spec is read from its file
    or submitted; ``sha256`` is the codelist's version hash and must match ``text``.
    """

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    text: str

    @model_validator(mode="after")
    def _hash_matches(self) -> EmbeddedCodelist:
        if text_sha256(self.text) != self.sha256:
            raise ValueError(
                "sha256 does not match the codelist's text (edited after it was embedded?); "
                "remove this entry to embed the codelist file again"
            )
        return self


class _Dated(_Events):
    date: Name = Field(description="date column placing each row in time")
    codelist: CodelistMatch | None = None


class _Spells(_Events):
    start: Name
    end: Name = Field(description="last day of the spell (inclusive); null while it runs")


# Outcome kinds: measured in each follow-up period (the period is the window).


class Count(_Dated):
    """Number of rows dated in the window."""

    name: Name
    kind: Literal["count"]
    top_code: int | None = Field(default=None, ge=1)


class Exists(_Dated):
    """1 when any row is dated in the window, else 0."""

    name: Name
    kind: Literal["exists"]


class Sum(_Dated):
    """Sum of ``column``, or of the days between two date columns, over rows in the window."""

    name: Name
    kind: Literal["sum"]
    column: Name | None = None
    days_between: tuple[Name, Name] | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Sum:
        if (self.column is None) == (self.days_between is None):
            raise ValueError("a sum needs exactly one of: column, days_between")
        return self


class Latest(_Dated):
    """The value of the latest row in the window (ties: the largest value); null if none.

    ``columns`` concatenates several columns into one string (an EQ-5D profile).
    """

    name: Name
    kind: Literal["latest"]
    column: Name | None = None
    columns: list[Name] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _one_value(self) -> Latest:
        if (self.column is None) == (self.columns is None):
            raise ValueError("latest needs exactly one of: column, columns")
        return self

    @property
    def value_columns(self) -> list[str]:
        return [self.column] if self.column else list(self.columns or [])


class DaysInState(_Spells):
    """Days of the window covered by spells (overlaps summed, capped at the window)."""

    name: Name
    kind: Literal["days_in_state"]


Outcome = Annotated[Count | Exists | Sum | Latest | DaysInState, Field(discriminator="kind")]


# Baseline kinds: measured once per person, in a window before the index date.


class BaselineCount(Count):
    window: Window


class BaselineExists(Exists):
    window: Window


class BaselineSum(Sum):
    window: Window


class BaselineLatest(Latest):
    window: Window


class BaselineDaysInState(DaysInState):
    window: Window


class InState(_Spells):
    """1 when a spell covers the day ``at`` (default the index date), else 0."""

    name: Name
    kind: Literal["in_state"]
    at: Offset = Offset(amount=0, unit="days")


class RecordValue(_Events):
    """A column of the person's record in force at ``at`` (the latest one dated on or before).

    Without ``date`` the most common non-null value over the person's records (ties: the
    smallest). ``map`` recodes values (e.g. deciles to quintiles); ``top_code`` caps numbers.
    """

    name: Name
    kind: Literal["value"]
    column: Name
    date: Name | None = None
    at: Offset = Offset(amount=0, unit="days")
    map: dict[str, Value] | None = None
    top_code: int | None = Field(default=None, ge=0)


class AgeBand(_Events):
    """Age in whole years at the index date, released only as a band.

    ``bands`` are lower bounds: ``[16, 25, 35]`` gives ``16-24``, ``25-34``, ``35+``; ages
    below the first bound are null. Birthdays on 29 February fall on 1 March in other years.
    """

    name: Name
    kind: Literal["age_band"]
    column: Name = Field(description="date of birth column")
    bands: list[int] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _increasing(cls, bands: list[int]) -> list[int]:
        if any(b < 0 for b in bands) or any(a >= b for a, b in itertools.pairwise(bands)):
            raise ValueError("bands must be non-negative and strictly increasing")
        return bands

    @model_validator(mode="after")
    def _birth_date_not_in_where(self) -> AgeBand:
        """Only the band is generalised: a condition on the birth date itself selects people
        by it, and a non-null band would then tell who was born on that day."""
        for number, condition in enumerate(self.where):
            if condition.column == self.column:
                raise ValueError(
                    f"where[{number}]: a condition on {self.column}, the date of birth this "
                    "age band generalises, is not generalised (it selects people by their "
                    "birth date); remove it"
                )
        return self


class IndexMonth(_Frozen):
    """The month of the index date, ``YYYY-MM`` (dates are released only as months)."""

    name: Name
    kind: Literal["index_month"]


class Died(_Frozen):
    """1 when the person died during follow-up (on or before the exit date), else 0."""

    name: Name
    kind: Literal["died"]


class FollowupDays(_Frozen):
    """Days from the index date to the exit date, both included."""

    name: Name
    kind: Literal["followup_days"]


Baseline = Annotated[
    BaselineCount
    | BaselineExists
    | BaselineSum
    | BaselineLatest
    | BaselineDaysInState
    | InState
    | RecordValue
    | AgeBand
    | IndexMonth
    | Died
    | FollowupDays,
    Field(discriminator="kind"),
]


class Period(_Frozen):
    """A follow-up period in whole months after the index date, ``[start, end)``."""

    start_month: int = Field(ge=0)
    end_month: int = Field(ge=1)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if isinstance(value, str):
            match = _PERIOD.match(value)
            if not match:
                raise ValueError(f"{value!r} is not a period like '0-6' (months)")
            return {"start_month": int(match[1]), "end_month": int(match[2])}
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        text = {"type": "string", "pattern": _PERIOD.pattern, "examples": ["0-6"]}
        return {"anyOf": [text, handler(core_schema)]}

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start_month >= self.end_month:
            raise ValueError(f"period {self.start_month}-{self.end_month} is empty")
        return self


class Death(_Frozen):
    table: TableRef
    date: Name


class Censoring(_Frozen):
    """What ends follow-up besides the last period: death, moving out, the end of data."""

    death: Death | None = None
    move_out: bool = Field(default=True, description="censor at the population's end_date")
    end_of_data: date


class FollowUp(_Frozen):
    periods: list[Period] = Field(min_length=1)
    censoring: Censoring
    outcomes: list[Outcome] = Field(default_factory=list)

    @field_validator("periods")
    @classmethod
    def _contiguous(cls, periods: list[Period]) -> list[Period]:
        if periods[0].start_month != 0:
            raise ValueError("the first period must start at month 0")
        for before, after in itertools.pairwise(periods):
            if before.end_month != after.start_month:
                raise ValueError(
                    f"periods must be contiguous: {before.start_month}-{before.end_month} "
                    f"is followed by {after.start_month}-{after.end_month}"
                )
        return periods

    @property
    def horizon_months(self) -> int:
        return self.periods[-1].end_month


class Disclosure(_Frozen):
    """Re-identification risk target over the release's quasi-identifiers."""

    min_k: int = Field(default=5, ge=1)


class CohortSpec(_Frozen):
    """A whole cohort: population, baseline variables, follow-up and outcomes."""

    version: Literal[1] = 1
    name: Name
    description: str = ""
    population: Population
    baseline: list[Baseline] = Field(default_factory=list)
    follow_up: FollowUp
    disclosure: Disclosure = Disclosure()
    codelists: dict[str, EmbeddedCodelist] = Field(
        default_factory=dict, description="codelists by file, embedded from their files"
    )

    def codelist_uses(self) -> list[tuple[tuple[str | int, ...], str, CodelistMatch]]:
        """Each variable's codelist: (its location in the document, its name, the match)."""
        found: list[tuple[tuple[str | int, ...], str, CodelistMatch]] = []
        parts: list[tuple[tuple[str | int, ...], str, list[Baseline] | list[Outcome]]] = [
            (("baseline",), "baseline", self.baseline),
            (("follow_up", "outcomes"), "follow_up.outcomes", self.follow_up.outcomes),
        ]
        for location, label, variables in parts:
            for number, variable in enumerate(variables):
                match = getattr(variable, "codelist", None)
                if isinstance(match, CodelistMatch):
                    found.append(((*location, number), f"{label}.{variable.name}", match))
        return found

    @model_validator(mode="after")
    def _unique_names(self) -> CohortSpec:
        seen: set[str] = {"pid", "person_id", self.population.exposure.name}
        reserved = set(seen)
        for variable in self.baseline:
            if variable.name in seen:
                why = "is reserved" if variable.name in reserved else "is used twice"
                raise ValueError(f"baseline variable name {variable.name!r} {why}")
            seen.add(variable.name)
        panel = {"pid", "person_id", "period", "period_start_month", "period_end_month"}
        panel.add("time_at_risk_days")
        for outcome in self.follow_up.outcomes:
            if outcome.name in panel:
                raise ValueError(f"outcome name {outcome.name!r} is reserved or used twice")
            panel.add(outcome.name)
        return self

    @property
    def person_columns(self) -> list[str]:
        """Columns of ``persons`` after ``pid``, in release order."""
        return [self.population.exposure.name, *(v.name for v in self.baseline)]

    @property
    def panel_columns(self) -> list[str]:
        """Columns of ``panel`` after ``pid``, in release order."""
        fixed = ["period", "period_start_month", "period_end_month", "time_at_risk_days"]
        return fixed + [o.name for o in self.follow_up.outcomes]
