"""The building blocks of a cohort's SQL: table views joined to the spine, the population,
and one aggregate per windowed variable.

The compiler builds sqlglot expression trees (never SQL text from strings), renders them
in DuckDB's dialect for reading and running, and in Spark's for the distributed engine.
The shape of both queries, in the order a steward reads them::

    codelist_<name>      each codelist a variable uses: its normalised codes and their
                         lengths, headed by a comment naming its file and version hash
    <provider>_<table>   each table the spec uses, joined to the spine: person_id + columns
    candidates           population records passing the conditions, numbered per person
    deaths               earliest death per person (when censoring at death)
    population           one row per person: index date, exposure, exit date
    v_<name>             one aggregate per baseline variable      (persons)
    person_periods       population x follow-up periods           (panel)
    o_<name>             one aggregate per outcome and period     (panel)

Engines register each content table as a view named ``<provider>__<table>`` and the spine
as ``spine`` (:mod:`nightingale.cohorts.engines`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from nightingale.cohorts import spec as s
from nightingale.cohorts.catalogue import Catalogue, table_columns
from nightingale.cohorts.codelists import Codelist, parse_codelist
from nightingale.cohorts.codesystems import match_rule
from nightingale.cohorts.sqlparts import (
    FAR_FUTURE,
    ONE_DAY,
    SQL_TYPES,
    add,
    all_of,
    asc,
    case,
    cast,
    coalesce,
    col,
    days_between,
    desc,
    greatest,
    least,
    lit,
    row_number,
    table,
)

SPINE_VIEW = "spine"

#: Sums of amounts are exact: in DOUBLE their last digits depend on the order rows are
#: added, which differs between engines and between runs of one engine on many threads
#: (at 1,000,000 people a quarter of the pilot's earnings sums differed between DuckDB and
#: Spark in the 12th significant digit). Six decimal places hold any currency and most
#: measurements; the compiled query casts the exact total back to DOUBLE.
EXACT_SUM = "DECIMAL(38, 6)"


def view_name(table: str) -> str:
    """The view an engine registers for catalogue table ``provider.table``."""
    return table.replace(".", "__")


def cte_name(table: str) -> str:
    return table.replace(".", "_")


@dataclass(frozen=True)
class Frame:
    """Where aggregates are measured: the base CTE, its keys and the window per row."""

    table: str
    alias: str
    keys: tuple[str, ...]
    low: exp.Expr | None
    high: exp.Expr
    #: For dated rows in the panel: the period of an event date, so that events join the
    #: population once instead of every person-period (five times fewer rows to join).
    bucket: Callable[[exp.Expr], exp.Expr] | None = None

    def key_exprs(self, variable: s._Events) -> list[tuple[str, exp.Expr]]:
        """Each key's name and the expression computing it for ``variable``'s rows."""
        if self.bucket is not None and isinstance(variable, s._Dated):
            return [
                ("person_id", col("person_id", self.alias)),
                ("period", self.bucket(col(variable.date, "e"))),
            ]
        return [(k, col(k, self.alias)) for k in self.keys]


def _condition(column: exp.Expr, condition: s.Condition) -> exp.Expr:
    if condition.equals is not None:
        return exp.EQ(this=column, expression=lit(condition.equals))
    if condition.in_ is not None:
        return exp.In(this=column, expressions=[lit(v) for v in condition.in_])
    if condition.between is not None:
        low, high = condition.between
        return exp.Between(this=column, low=lit(low), high=lit(high))
    null = exp.Is(this=column, expression=exp.Null())
    return null if condition.is_null else exp.Not(this=null)


def _conditions(alias: str, conditions: list[s.Condition]) -> list[exp.Expr]:
    return [_condition(col(c.column, alias), c) for c in conditions]


def normalised_code(column: exp.Expr) -> exp.Expr:
    """A coded column as codelists are compared: trimmed, upper case, no dots."""
    return exp.Upper(this=exp.func("REPLACE", exp.Trim(this=column), lit("."), lit("")))


def _required(alias: str, index: exp.Expr, required: s.Requirement, number: int) -> exp.Expr:
    """EXISTS a record of the person in the required table dated on or before the index."""
    r = f"req{number}"
    match = all_of(
        [
            exp.EQ(this=col("person_id", r), expression=col("person_id", alias)),
            exp.LTE(this=col(required.date, r), expression=index),
        ]
    )
    found = exp.select(lit(1)).from_(exp.alias_(table(cte_name(required.table)), r)).where(match)
    return exp.Exists(this=found)


class Compiler:
    def __init__(self, spec: s.CohortSpec, catalogue: Catalogue) -> None:
        self.spec = spec
        self.catalogue = catalogue
        #: Each codelist (file, code column) the spec uses: its CTE's name and its codes.
        self.codelists: dict[tuple[str, str], tuple[str, Codelist]] = {}
        for _location, _where, match in spec.codelist_uses():
            key = (match.file, match.code_column)
            if key in self.codelists:
                continue
            codelist = parse_codelist(spec.codelists[match.file].text, *key)
            taken = {name for name, _ in self.codelists.values()}
            name, number = f"codelist_{codelist.name}", 1
            while name in taken:
                number += 1
                name = f"codelist_{codelist.name}_{number}"
            self.codelists[key] = (name, codelist)

    # -- shared CTEs -------------------------------------------------------------------

    def codelist_ctes(
        self, variables: Sequence[s.Baseline | s.Outcome]
    ) -> list[tuple[str, exp.Query]]:
        """One CTE per codelist ``variables`` use: ``code`` and ``code_length``, with its
        name, file and version hash in a comment."""
        used = [
            (match.file, match.code_column)
            for variable in variables
            if isinstance(match := getattr(variable, "codelist", None), s.CodelistMatch)
        ]
        ctes: list[tuple[str, exp.Query]] = []
        for key, (name, codelist) in self.codelists.items():
            if key not in used:
                continue
            rows = [exp.tuple_(lit(code), lit(len(code))) for code in codelist.codes]
            query = exp.select(exp.Star()).from_(
                exp.values(rows, alias="codes", columns=["code", "code_length"])
            )
            query.add_comments(
                [
                    f" codelist {codelist.name}: {codelist.file}, sha256 {codelist.sha256}, "
                    f"{len(codelist.codes)} codes "
                ]
            )
            ctes.append((name, query))
        return ctes

    def codelist_match(self, variable: s._Events) -> list[exp.Expr]:
        """The test a variable's codelist puts on its rows (none without a codelist).

        Prefix matching (ICD-10, OPCS-4) compares the first ``n`` characters of the code
        with the codelist's codes of length ``n``, one test per length: plain ``IN``
        lists every engine runs alike. Exact matching (SNOMED CT) is one ``IN``.
        """
        match = getattr(variable, "codelist", None)
        if not isinstance(match, s.CodelistMatch):
            return []
        name, codelist = self.codelists[(match.file, match.code_column)]
        tests: list[exp.Expr] = []
        for column in match.columns:
            value = normalised_code(col(column, "e"))
            system = self.catalogue.column(variable.table, column).system
            if system is None or match_rule(system) == "exact":
                codes = exp.select(col("code")).from_(table(name))
                tests.append(exp.In(this=value, query=codes.subquery()))
                continue
            for length in sorted({len(code) for code in codelist.codes}):
                codes = (
                    exp.select(col("code"))
                    .from_(table(name))
                    .where(exp.EQ(this=col("code_length"), expression=lit(length)))
                )
                start = exp.Substring(this=value, start=lit(1), length=lit(length))
                tests.append(exp.In(this=start, query=codes.subquery()))
        return [exp.or_(*tests)] if len(tests) > 1 else tests

    def table_ctes(self) -> list[tuple[str, exp.Query]]:
        ctes: list[tuple[str, exp.Query]] = []
        for name_of_table, columns in table_columns(self.spec).items():
            provider = name_of_table.split(".")[0]
            selected: list[exp.Expr] = [exp.alias_(col("person_id", "spine"), "person_id")]
            for name in ["record_id", *[c for c in columns if c != "record_id"]]:
                sql_type = SQL_TYPES[self.catalogue.column(name_of_table, name).type]
                selected.append(exp.alias_(cast(col(name, "t"), sql_type), name, quoted=True))
            # The demographics view carries each record's provider; content is one provider.
            source = col("source", "t") if provider == "linkage" else lit(provider)
            on = all_of(
                [
                    exp.EQ(this=col("source", "spine"), expression=source),
                    exp.EQ(this=col("record_id", "spine"), expression=col("record_id", "t")),
                ]
            )
            query = (
                exp.select(*selected)
                .from_(exp.alias_(table(view_name(name_of_table)), "t"))
                .join(table(SPINE_VIEW), on=on)
            )
            ctes.append((cte_name(name_of_table), query))
        return ctes

    def population_ctes(self) -> list[tuple[str, exp.Query]]:
        population = self.spec.population
        censoring = self.spec.follow_up.censoring
        t = "t"
        exposure = col(population.exposure.column, t)
        groups = population.exposure.groups
        exposure_value = case(
            [
                (exp.EQ(this=cast(exposure, "VARCHAR"), expression=lit(k)), lit(v))
                for k, v in groups.items()
            ]
        )
        index = col(population.index_date, t)
        end = col(population.end_date, t) if population.end_date else exp.Null()
        order = [asc(index), asc(col("record_id", t))]
        conditions = [
            exp.Not(this=exp.Is(this=index, expression=exp.Null())),
            exp.In(this=cast(exposure, "VARCHAR"), expressions=[lit(k) for k in groups]),
            *_conditions(t, population.conditions),
            *[_required(t, index, r, n) for n, r in enumerate(population.requires)],
        ]
        candidates = (
            exp.select(
                col("person_id", t),
                exp.alias_(index, "index_date", quoted=True),
                exp.alias_(end, "end_date", quoted=True),
                exp.alias_(exposure_value, "exposure", quoted=True),
                exp.alias_(row_number([col("person_id", t)], order), "record_order", quoted=True),
            )
            .from_(exp.alias_(table(cte_name(population.source)), t))
            .where(all_of(conditions))
        )
        ctes: list[tuple[str, exp.Query]] = [("candidates", candidates)]

        c = "c"
        far = lit(FAR_FUTURE)
        end_of_data = lit(censoring.end_of_data)
        horizon = s.Offset(amount=self.spec.follow_up.horizon_months, unit="months")
        last_day = add(add(col("index_date", c), horizon), s.Offset(amount=-1, unit="days"))
        exits = [end_of_data, last_day]
        if censoring.move_out:
            exits.append(coalesce(col("end_date", c), far))
        death: exp.Expr = exp.Null()
        query = exp.select(col("person_id", c), col("index_date", c), col("exposure", c)).from_(
            exp.alias_(table("candidates"), c)
        )
        filters: list[exp.Expr] = [
            exp.EQ(this=col("record_order", c), expression=lit(1)),
            exp.LTE(this=col("index_date", c), expression=end_of_data),
            exp.GTE(this=coalesce(col("end_date", c), far), expression=col("index_date", c)),
        ]
        if censoring.death is not None:
            deaths = (
                exp.select(
                    col("person_id"),
                    exp.alias_(exp.Min(this=col(censoring.death.date)), "death_date", quoted=True),
                )
                .from_(table(cte_name(censoring.death.table)))
                .group_by(col("person_id"))
            )
            ctes.append(("deaths", deaths))
            death = col("death_date", "d")
            exits.append(coalesce(death, far))
            query = query.join(
                exp.alias_(table("deaths"), "d"),
                on=exp.EQ(this=col("person_id", "d"), expression=col("person_id", c)),
                join_type="left",
            )
            filters.append(
                exp.or_(
                    exp.Is(this=death, expression=exp.Null()),
                    exp.GTE(this=death, expression=col("index_date", c)),
                )
            )
        query = query.select(
            exp.alias_(death, "death_date", quoted=True),
            exp.alias_(least(*exits), "exit_date", quoted=True),
        ).where(all_of(filters))
        ctes.append(("population", query))
        return ctes

    # -- aggregates over a frame -------------------------------------------------------

    def events(self, frame: Frame, variable: s._Events) -> exp.Select:
        """Frame rows joined to the variable's table rows of the same person (alias ``e``)."""
        on = exp.EQ(this=col("person_id", "e"), expression=col("person_id", frame.alias))
        keys = [exp.alias_(expr, name, quoted=True) for name, expr in frame.key_exprs(variable)]
        return (
            exp.select(*keys)
            .from_(exp.alias_(table(frame.table), frame.alias))
            .join(exp.alias_(table(cte_name(variable.table)), "e"), on=on)
        )

    def _in_window(self, frame: Frame, day: exp.Expr) -> list[exp.Expr]:
        tests: list[exp.Expr] = [exp.LT(this=day, expression=frame.high)]
        if frame.low is not None:
            tests.insert(0, exp.GTE(this=day, expression=frame.low))
        return tests

    def aggregate(self, frame: Frame, variable: s.Outcome | s.Baseline) -> exp.Query:
        """One CTE giving ``value`` per frame key for a windowed variable."""
        assert isinstance(variable, s._Events)
        keys = [expr for _name, expr in frame.key_exprs(variable)]
        query = self.events(frame, variable)
        where = self.conditions(variable)
        if isinstance(variable, s._Dated):
            where += self._in_window(frame, col(variable.date, "e"))
        if isinstance(variable, s.Count | s.Exists):
            value: exp.Expr = exp.Count(this=exp.Star())
        elif isinstance(variable, s.Sum):
            if variable.days_between:
                first, last = variable.days_between
                value = exp.Sum(this=days_between(col(first, "e"), col(last, "e")))
            else:
                value = exp.Sum(this=cast(col(variable.column or "", "e"), EXACT_SUM))
        elif isinstance(variable, s.DaysInState):
            start, end = col(variable.start, "e"), col(variable.end, "e")
            low = frame.low if frame.low is not None else start
            stop = least(coalesce(add(end, ONE_DAY), frame.high), frame.high)
            overlap = days_between(greatest(start, low), stop)
            where += [
                exp.LT(this=start, expression=frame.high),
                exp.or_(exp.Is(this=end, expression=exp.Null()), exp.GTE(this=end, expression=low)),
            ]
            span = exp.Max(this=days_between(low, frame.high))
            value = least(exp.Sum(this=overlap), span)
        elif isinstance(variable, s.Latest):
            rows = query.where(all_of(where))
            return self.latest(frame, variable, rows, variable.date, variable.value_columns)
        else:  # pragma: no cover - the spec's discriminated union is closed
            raise TypeError(f"no aggregate for {type(variable).__name__}")
        return (
            query.select(exp.alias_(value, "value", quoted=True))
            .where(all_of(where))
            .group_by(*keys)
        )

    def latest(
        self, frame: Frame, variable: s._Events, rows: exp.Select, date: str, columns: list[str]
    ) -> exp.Query:
        """The value of the latest row per frame key (ties: the largest value)."""
        parts: list[exp.Expr] = [cast(col(c, "e"), "VARCHAR") for c in columns]
        value = col(columns[0], "e") if len(parts) == 1 else exp.Concat(expressions=parts)
        order = [desc(col(date, "e")), desc(value)]
        keys = [expr for _name, expr in frame.key_exprs(variable)]
        ranked = rows.select(
            exp.alias_(value, "value", quoted=True),
            exp.alias_(row_number(keys, order), "latest", quoted=True),
        )
        return (
            exp.select(*[col(k) for k in frame.keys], col("value"))
            .from_(ranked.subquery("ranked"))
            .where(exp.EQ(this=col("latest"), expression=lit(1)))
        )

    def most_common(
        self, frame: Frame, variable: s._Events, rows: exp.Select, column: str
    ) -> exp.Query:
        """The most common non-null value of ``column`` per frame key (ties: the smallest)."""
        keys = [expr for _name, expr in frame.key_exprs(variable)]
        value = col(column, "e")
        order = [desc(exp.Count(this=exp.Star())), asc(value)]
        rows = rows.where(exp.Not(this=exp.Is(this=value, expression=exp.Null())))
        ranked = rows.select(
            exp.alias_(value, "value", quoted=True),
            exp.alias_(row_number(keys, order), "rank", quoted=True),
        ).group_by(*keys, value)
        return (
            exp.select(*[col(k) for k in frame.keys], col("value"))
            .from_(ranked.subquery("ranked"))
            .where(exp.EQ(this=col("rank"), expression=lit(1)))
        )

    def conditions(self, variable: s._Events) -> list[exp.Expr]:
        """The variable's ``where`` conditions and its codelist match, on its rows ``e``."""
        return _conditions("e", variable.where) + self.codelist_match(variable)
