"""Small sqlglot builders the compiler uses, so every value is a rendered literal.

Identifiers are quoted by sqlglot and values become literals rendered by sqlglot (strings
escaped, dates as ``CAST('YYYY-MM-DD' AS DATE)``); nothing from a spec is pasted into SQL
text. Each helper is engine-neutral: the same tree renders for DuckDB and Spark.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from nightingale.cohorts.spec import Offset, Value

FAR_FUTURE = date(9999, 12, 31)
ONE_DAY = Offset(amount=1, unit="days")

SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "decimal": "DOUBLE", "date": "DATE"}


def ident(name: str) -> exp.Identifier:
    """A quoted identifier."""
    return exp.to_identifier(name, quoted=True)


def table(name: str) -> exp.Table:
    """A quoted table (or CTE) reference."""
    return exp.Table(this=ident(name))


def col(name: str, table: str | None = None) -> exp.Column:
    """A quoted column reference, optionally qualified by a table alias."""
    return exp.column(name, table=table, quoted=True)


def lit(value: Value | bool) -> exp.Expression:
    """A value as a SQL literal (dates cast to DATE)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, date):
        return cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def cast(expression: exp.Expression, sql_type: str) -> exp.Cast:
    """``CAST(expression AS sql_type)``."""
    return exp.cast(expression, exp.DataType.build(sql_type))


def add(day: exp.Expression, offset: Offset) -> exp.Expression:
    """``day`` moved by ``offset``, as a DATE (months clamp to the month's last day)."""
    if offset.amount == 0:
        return day
    unit = "MONTH" if offset.unit == "months" else "DAY"
    moved = exp.DateAdd(this=day, expression=exp.Literal.number(offset.amount), unit=exp.var(unit))
    return cast(moved, "DATE")


def add_months(day: exp.Expression, months: exp.Expression) -> exp.Expression:
    """``day`` plus a number of months given by an expression, as a DATE."""
    return cast(exp.DateAdd(this=day, expression=months, unit=exp.var("MONTH")), "DATE")


def days_between(start: exp.Expression, end: exp.Expression) -> exp.Expression:
    """Whole days from ``start`` to ``end`` (``end - start``), as BIGINT."""
    return cast(exp.DateDiff(this=end, expression=start, unit=exp.var("DAY")), "BIGINT")


def least(*values: exp.Expression) -> exp.Expression:
    """The smallest of non-null values."""
    return exp.Least(this=values[0], expressions=list(values[1:]), ignore_nulls=True)


def greatest(*values: exp.Expression) -> exp.Expression:
    """The largest of non-null values."""
    return exp.Greatest(this=values[0], expressions=list(values[1:]), ignore_nulls=True)


def coalesce(*values: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=values[0], expressions=list(values[1:]))


def all_of(conditions: list[exp.Expression]) -> exp.Expression:
    """Conditions joined with AND (TRUE when there are none)."""
    if not conditions:
        return exp.Boolean(this=True)
    return exp.and_(*conditions)


def case(
    branches: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None = None
) -> exp.Case:
    """``CASE WHEN c THEN v ... ELSE default END``."""
    result = exp.Case()
    for condition, value in branches:
        result = result.when(condition, value)
    return result.else_(default) if default is not None else result


def row_number(partition: list[exp.Expression], order: list[exp.Ordered]) -> exp.Window:
    """``ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...)``."""
    return exp.Window(
        this=exp.RowNumber(),
        partition_by=partition,
        order=exp.Order(expressions=order),
    )


def desc(expression: exp.Expression) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=True, nulls_first=False)


def asc(expression: exp.Expression) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=False, nulls_first=False)
