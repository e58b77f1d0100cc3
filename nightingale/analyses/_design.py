"""Shared helpers: formula terms from column names, checks on input frames.

Methods take column names rather than formulas so a notebook user need not learn patsy;
this module turns names into formula terms (text and categorical columns become
``C(name)``) and refuses frames that would make a model silently drop rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from nightingale.platform.errors import NightingaleError


def is_categorical(series: pd.Series) -> bool:
    """Text, category and boolean columns are modelled as categories."""
    return not is_numeric_dtype(series) or is_bool_dtype(series)


def term(frame: pd.DataFrame, column: str) -> str:
    """The formula term for one column."""
    return f"C({column})" if is_categorical(frame[column]) else column


def rhs(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """A formula's right-hand side for the given columns (``1`` when there are none)."""
    return " + ".join(term(frame, c) for c in columns) or "1"


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a readable error naming columns the frame lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NightingaleError(f"{what}: missing column(s) {', '.join(missing)}")


def require_complete(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise when any of ``columns`` has missing values (models would drop rows silently)."""
    require_columns(frame, columns, what)
    counts = frame[list(columns)].isna().sum()
    bad = counts[counts > 0]
    if not bad.empty:
        detail = ", ".join(f"{name} ({int(n)} missing)" for name, n in bad.items())
        raise NightingaleError(
            f"{what}: missing values in {detail}; impute or add an indicator first"
        )


def require_binary(frame: pd.DataFrame, column: str, what: str) -> None:
    """Raise unless ``column`` holds only 0 and 1, with both present."""
    values = set(pd.unique(frame[column].dropna()))
    if not values <= {0, 1} or len(values) < 2:
        raise NightingaleError(f"{what}: {column} must be 0/1 with both groups present")


def varying(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns that take more than one value in ``frame``.

    A covariate constant in a subsample (an indicator that no matched person has) is
    collinear with the intercept and makes the design singular; dropping it changes
    nothing else in the model.
    """
    return [c for c in columns if frame[c].nunique(dropna=True) > 1]
