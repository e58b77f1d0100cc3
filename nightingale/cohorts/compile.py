"""Compile a cohort spec to SQL: one query for ``persons``, one for the ``panel``.

Both queries share the table and population CTEs of :mod:`nightingale.cohorts.ctes`.
``persons`` adds one aggregate per baseline variable and left-joins them to the
population; ``panel`` crosses the population with the follow-up periods, keeps the
periods with time at risk, and left-joins one aggregate per outcome. The SQL is rendered
in DuckDB's dialect to read and run, and transpiled by sqlglot to Spark SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from nightingale.cohorts import spec as s
from nightingale.cohorts.catalogue import Catalogue
from nightingale.cohorts.codelists import Codelist
from nightingale.cohorts.ctes import Compiler, Frame
from nightingale.cohorts.sqlparts import (
    ONE_DAY,
    add,
    add_months,
    all_of,
    case,
    cast,
    coalesce,
    col,
    days_between,
    least,
    lit,
    table,
)

Ctes = list[tuple[str, exp.Query]]


@dataclass(frozen=True)
class CodelistUse:
    """A codelist a compiled cohort matches codes against (the manifest records each)."""

    name: str
    file: str
    sha256: str
    codes: int
    used_by: tuple[str, ...]


@dataclass(frozen=True)
class CompiledCohort:
    """The two queries of a cohort; render with :meth:`sql`."""

    persons: exp.Query
    panel: exp.Query
    codelists: tuple[CodelistUse, ...] = ()

    def sql(self, dialect: str = "duckdb", pretty: bool = True) -> dict[str, str]:
        """Both queries as SQL text in ``dialect`` (``duckdb`` or ``spark``)."""
        return {
            "persons": render(self.persons, dialect, pretty),
            "panel": render(self.panel, dialect, pretty),
        }


def render(query: exp.Query, dialect: str, pretty: bool = False) -> str:
    """The query as SQL text in ``dialect``; sqlglot translates the one tree per dialect.

    The tree is rendered directly rather than re-parsed from the DuckDB text: a
    text round trip loses what the tree knows (``date + INTERVAL (-1) DAY`` parsed back
    from DuckDB is not the ``DATE_ADD`` Spark needs).
    """
    if dialect != "duckdb":
        # ``AS MATERIALIZED`` is DuckDB's (and PostgreSQL's); Spark plans CTEs itself.
        query = query.copy()
        for cte in query.find_all(exp.CTE):
            cte.set("materialized", None)
    return query.sql(dialect=dialect, pretty=pretty)


#: CTEs read by many others: DuckDB computes them once instead of once per reader.
MATERIALIZED = frozenset({"population", "person_periods"})


def _with(query: exp.Select, ctes: Ctes) -> exp.Select:
    """``query`` (copied) with ``ctes`` in front, each CTE copied once.

    The CTEs are copied because the shared ones go into both the persons and the panel
    query; the query is then extended in place. sqlglot's default (``copy=True``) copies
    the whole, growing query for every CTE added: over 50 CTEs that was most of the time
    of compiling a spec (seconds for the pilot).
    """
    query = query.copy()
    for name, cte in ctes:
        materialized = True if name in MATERIALIZED else None
        query = query.with_(
            exp.to_identifier(name, quoted=True),
            as_=cte.copy(),
            materialized=materialized,
            copy=False,
        )
    return query


def _capped(value: exp.Expr, top: int | None) -> exp.Expr:
    if top is None:
        return value
    return case([(exp.GT(this=value, expression=lit(top)), lit(top))], value)


def _zero_if_none(value: exp.Expr, sql_type: str) -> exp.Expr:
    return cast(coalesce(value, lit(0)), sql_type)


def _flag(value: exp.Expr) -> exp.Expr:
    return cast(case([(exp.Is(this=value, expression=exp.Null()), lit(0))], lit(1)), "BIGINT")


def _age(birth: exp.Expr, day: exp.Expr) -> exp.Expr:
    """Whole years from ``birth`` to ``day`` (a 29 February birthday is 1 March otherwise)."""

    def month_day(d: exp.Expr) -> exp.Expr:
        return exp.Add(
            this=exp.Mul(this=exp.Month(this=d), expression=lit(100)), expression=exp.Day(this=d)
        )

    years = exp.Sub(this=exp.Year(this=day), expression=exp.Year(this=birth))
    before_birthday = exp.LT(this=month_day(day), expression=month_day(birth))
    return exp.Sub(this=years, expression=case([(before_birthday, lit(1))], lit(0)))


def _band(age: exp.Expr, bands: list[int]) -> exp.Expr:
    branches = []
    for lower, upper in reversed(list(zip(bands, [*bands[1:], None], strict=True))):
        label = f"{lower}+" if upper is None else f"{lower}-{upper - 1}"
        branches.append((exp.GTE(this=age, expression=lit(lower)), lit(label)))
    return case(branches, exp.Null())


def _recode(value: exp.Expr, mapping: dict[str, s.Value]) -> exp.Expr:
    as_text = cast(value, "VARCHAR")
    return case([(exp.EQ(this=as_text, expression=lit(k)), lit(v)) for k, v in mapping.items()])


def persons_query(compiler: Compiler, shared: Ctes) -> exp.Select:
    """One row per person: ``person_id``, the exposure, then each baseline variable."""
    spec = compiler.spec
    p = "p"
    index = col("index_date", p)
    ctes: Ctes = []
    selected: list[exp.Expr] = [
        col("person_id", p),
        exp.alias_(cast(col("exposure", p), "BIGINT"), spec.population.exposure.name, quoted=True),
    ]
    joins: list[str] = []
    for variable in spec.baseline:
        v = f"v_{variable.name}"
        value = col("value", v)
        if isinstance(variable, s.IndexMonth):
            out: exp.Expr = exp.TimeToStr(this=index, format=exp.Literal.string("%Y-%m"))
        elif isinstance(variable, s.Died):
            died = exp.LTE(this=col("death_date", p), expression=col("exit_date", p))
            out = cast(case([(died, lit(1))], lit(0)), "BIGINT")
        elif isinstance(variable, s.FollowupDays):
            out = days_between(index, add(col("exit_date", p), ONE_DAY))
        else:
            ctes.append((v, _baseline_cte(compiler, variable)))
            joins.append(v)
            out = _baseline_value(variable, value, index)
        selected.append(exp.alias_(out, variable.name, quoted=True))
    query = exp.select(*selected).from_(exp.alias_(table("population"), p))
    for v in joins:
        on = exp.EQ(this=col("person_id", v), expression=col("person_id", p))
        query = query.join(table(v), on=on, join_type="left")
    return _with(query, shared + ctes)


def _baseline_value(variable: s.Baseline, value: exp.Expr, index: exp.Expr) -> exp.Expr:
    if isinstance(variable, s.BaselineCount):
        return _capped(_zero_if_none(value, "BIGINT"), variable.top_code)
    if isinstance(variable, s.BaselineExists | s.InState):
        return _flag(value)
    if isinstance(variable, s.BaselineSum):
        return _zero_if_none(value, "BIGINT" if variable.days_between else "DOUBLE")
    if isinstance(variable, s.BaselineDaysInState):
        return _zero_if_none(value, "BIGINT")
    if isinstance(variable, s.AgeBand):
        return _band(_age(cast(value, "DATE"), index), variable.bands)
    if isinstance(variable, s.RecordValue):
        recoded = _recode(value, variable.map) if variable.map else value
        return _capped(recoded, variable.top_code)
    return value  # latest


def _baseline_cte(compiler: Compiler, variable: s.Baseline) -> exp.Query:
    index = col("index_date", "p")
    if isinstance(variable, s.RecordValue | s.AgeBand | s.InState):
        at = add(index, variable.at) if not isinstance(variable, s.AgeBand) else index
        frame = Frame("population", "p", ("person_id",), None, add(at, ONE_DAY))
        rows = compiler.events(frame, variable)
        where = compiler.conditions(variable)
        if isinstance(variable, s.InState):
            start, end = col(variable.start, "e"), col(variable.end, "e")
            where += [
                exp.LTE(this=start, expression=at),
                exp.or_(exp.Is(this=end, expression=exp.Null()), exp.GTE(this=end, expression=at)),
            ]
            return (
                rows.select(exp.alias_(exp.Count(this=exp.Star()), "value", quoted=True))
                .where(all_of(where))
                .group_by(col("person_id", "p"))
            )
        if isinstance(variable, s.RecordValue) and variable.date:
            where.append(exp.LT(this=col(variable.date, "e"), expression=frame.high))
            rows = rows.where(all_of(where))
            return compiler.latest(frame, variable, rows, variable.date, [variable.column])
        return compiler.most_common(frame, variable, rows.where(all_of(where)), variable.column)
    assert isinstance(
        variable,
        s.BaselineCount
        | s.BaselineExists
        | s.BaselineSum
        | s.BaselineLatest
        | s.BaselineDaysInState,
    )
    window = variable.window
    low = add(index, window.start) if window.start is not None else None
    frame = Frame("population", "p", ("person_id",), low, add(index, window.end))
    return compiler.aggregate(frame, variable)


def panel_query(compiler: Compiler, shared: Ctes) -> exp.Select:
    """One row per person and period with time at risk: keys, time at risk, outcomes."""
    spec = compiler.spec
    rows = [
        exp.tuple_(lit(number), lit(period.start_month), lit(period.end_month))
        for number, period in enumerate(spec.follow_up.periods)
    ]
    periods = exp.select(exp.Star()).from_(
        exp.values(rows, alias="periods", columns=["period", "start_month", "end_month"])
    )
    p, r = "p", "r"
    period_start = add_months(col("index_date", p), col("start_month", r))
    period_end = add_months(col("index_date", p), col("end_month", r))
    at_risk_end = least(period_end, add(col("exit_date", p), ONE_DAY))
    person_periods = (
        exp.select(
            col("person_id", p),
            col("period", r),
            col("start_month", r),
            col("end_month", r),
            exp.alias_(period_start, "period_start", quoted=True),
            exp.alias_(at_risk_end, "at_risk_end", quoted=True),
        )
        .from_(exp.alias_(table("population"), p))
        .join(exp.alias_(table("periods"), r), join_type="cross")
        .where(exp.GT(this=at_risk_end, expression=period_start))
    )
    ctes: Ctes = [("periods", periods), ("person_periods", person_periods)]
    q = "q"
    frame = Frame(
        "person_periods", q, ("person_id", "period"), col("period_start", q), col("at_risk_end", q)
    )
    selected: list[exp.Expr] = [
        col("person_id", q),
        exp.alias_(cast(col("period", q), "BIGINT"), "period", quoted=True),
        exp.alias_(cast(col("start_month", q), "BIGINT"), "period_start_month", quoted=True),
        exp.alias_(cast(col("end_month", q), "BIGINT"), "period_end_month", quoted=True),
        exp.alias_(
            days_between(col("period_start", q), col("at_risk_end", q)),
            "time_at_risk_days",
            quoted=True,
        ),
    ]
    dated = _dated_frame(spec)
    query = exp.select().from_(exp.alias_(table("person_periods"), q))
    for outcome in spec.follow_up.outcomes:
        o = f"o_{outcome.name}"
        by_period = frame if isinstance(outcome, s.DaysInState) else dated
        ctes.append((o, compiler.aggregate(by_period, outcome)))
        on = all_of([exp.EQ(this=col(k, o), expression=col(k, q)) for k in ("person_id", "period")])
        query = query.join(table(o), on=on, join_type="left")
        selected.append(
            exp.alias_(_outcome_value(outcome, col("value", o)), outcome.name, quoted=True)
        )
    query = query.select(*selected)
    return _with(query, shared + ctes)


def _dated_frame(spec: s.CohortSpec) -> Frame:
    """Dated events join the population once; the period is computed from the date.

    An event dated ``d`` counts in period ``k`` when ``index + start_k months <= d <
    index + end_k months`` and ``d`` is on or before the exit date: the same rule as the
    person-period windows, without joining every event to every period.
    """
    p = "p"
    index = col("index_date", p)
    periods = spec.follow_up.periods
    horizon = add_months(index, lit(spec.follow_up.horizon_months))
    high = least(horizon, add(col("exit_date", p), ONE_DAY))

    def bucket(day: exp.Expr) -> exp.Expr:
        branches = [
            (exp.LT(this=day, expression=add_months(index, lit(period.end_month))), lit(number))
            for number, period in enumerate(periods)
        ]
        return case(branches)

    return Frame("population", p, ("person_id", "period"), index, high, bucket)


def _outcome_value(outcome: s.Outcome, value: exp.Expr) -> exp.Expr:
    if isinstance(outcome, s.Count):
        return _capped(_zero_if_none(value, "BIGINT"), outcome.top_code)
    if isinstance(outcome, s.Exists):
        return _flag(value)
    if isinstance(outcome, s.Sum):
        return _zero_if_none(value, "BIGINT" if outcome.days_between else "DOUBLE")
    if isinstance(outcome, s.DaysInState):
        return _zero_if_none(value, "BIGINT")
    return value


def compile_spec(
    spec: s.CohortSpec, catalogue: Catalogue, source: str = "<spec>"
) -> CompiledCohort:
    """Check ``spec`` against ``catalogue`` and compile it to the persons and panel queries."""
    catalogue.check(spec, source)
    compiler = Compiler(spec, catalogue)
    shared = compiler.table_ctes() + compiler.population_ctes()
    used = [codelist for _name, codelist in compiler.codelists.values()]
    return CompiledCohort(
        persons=persons_query(compiler, compiler.codelist_ctes(spec.baseline) + shared),
        panel=panel_query(compiler, compiler.codelist_ctes(spec.follow_up.outcomes) + shared),
        codelists=_uses(spec, used),
    )


def _uses(spec: s.CohortSpec, codelists: list[Codelist]) -> tuple[CodelistUse, ...]:
    """What the manifest says of each codelist: its name, file, hash, codes and users."""
    users: dict[str, list[str]] = {}
    for _location, where, match in spec.codelist_uses():
        users.setdefault(match.file, []).append(where)
    seen: dict[str, CodelistUse] = {}
    for codelist in codelists:
        if codelist.file not in seen:
            seen[codelist.file] = CodelistUse(
                name=codelist.name,
                file=codelist.file,
                sha256=codelist.sha256,
                codes=len(codelist.codes),
                used_by=tuple(users[codelist.file]),
            )
    return tuple(seen.values())
