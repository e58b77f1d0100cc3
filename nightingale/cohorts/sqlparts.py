"""Small sqlglot builders the compiler uses, so every value is a rendered literal.

Identifiers are quoted by sqlglot and values become literals rendered by sqlglot (strings
escaped, dates as ``CAST('YYYY-MM-DD' AS DATE)``); nothing from a spec is pasted into SQL
text. Each helper is engine-neutral: the same tree renders for DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def lit(value: Value | bool) -> exp.Expr:
    """A value as a SQL literal (dates cast to DATE)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, date):
        return cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def cast(expression: exp.Expr, sql_type: str) -> exp.Cast:
    """``CAST(expression AS sql_type)``."""
    return exp.cast(expression, exp.DataType.build(sql_type))


def add(day: exp.Expr, offset: Offset) -> exp.Expr:
    """``day`` moved by ``offset``, as a DATE (months clamp to the month's last day)."""
    if offset.amount == 0:
        return day
    unit = "MONTH" if offset.unit == "months" else "DAY"
    moved = exp.DateAdd(this=day, expression=exp.Literal.number(offset.amount), unit=exp.var(unit))
    return cast(moved, "DATE")


def add_months(day: exp.Expr, months: exp.Expr) -> exp.Expr:
    """``day`` plus a number of months given by an expression, as a DATE."""
    return cast(exp.DateAdd(this=day, expression=months, unit=exp.var("MONTH")), "DATE")


def days_between(start: exp.Expr, end: exp.Expr) -> exp.Expr:
    """Whole days from ``start`` to ``end`` (``end - start``), as BIGINT."""
    return cast(exp.DateDiff(this=end, expression=start, unit=exp.var("DAY")), "BIGINT")


def least(*values: exp.Expr) -> exp.Expr:
    """The smallest of non-null values."""
    return exp.Least(this=values[0], expressions=list(values[1:]), ignore_nulls=True)


def greatest(*values: exp.Expr) -> exp.Expr:
    """The largest of non-null values."""
    return exp.Greatest(this=values[0], expressions=list(values[1:]), ignore_nulls=True)


def coalesce(*values: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=values[0], expressions=list(values[1:]))


def all_of(conditions: Sequence[exp.Expr]) -> exp.Expr:
    """Conditions joined with AND (TRUE when there are none)."""
    if not conditions:
        return exp.Boolean(this=True)
    return exp.and_(*conditions)


def case(
    branches: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None
) -> exp.Case:
    """``CASE WHEN c THEN v ... ELSE default END``."""
    result = exp.Case()
    for condition, value in branches:
        result = result.when(condition, value)
    return result.else_(default) if default is not None else result


def row_number(partition: Sequence[exp.Expr], order: Sequence[exp.Ordered]) -> exp.Window:
    """``ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...)``."""
    return exp.Window(
        this=exp.RowNumber(),
        partition_by=list(partition),
        order=exp.Order(expressions=list(order)),
    )


def desc(expression: exp.Expr) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=True, nulls_first=False)


def asc(expression: exp.Expr) -> exp.Ordered:
    return exp.Ordered(this=expression, desc=False, nulls_first=False)
