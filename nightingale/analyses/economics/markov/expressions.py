"""A small, safe arithmetic language for model files.

Model files say things like ``(1 - p_HD) * rate_to_prob(r_HS1, cycle_length)``. They
are data, possibly from someone else, so they are never passed to ``eval``: each
expression is parsed with :mod:`ast` and only numbers, names, arithmetic, comparisons
and a fixed list of functions are allowed. Names are looked up in an environment of
numpy arrays, so one evaluation covers every PSA sample and every cycle at once by
broadcasting (parameters have shape ``(samples, 1)``, ``cycle`` and ``age`` have shape
``(1, cycles)``).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nightingale.platform.errors import NightingaleError

Value = NDArray[np.float64] | float


def rate_to_prob(rate: Value, time: Value = 1.0) -> Value:
    """Probability of at least one event in ``time`` at a constant ``rate``: 1 - exp(-rt)."""
    return np.asarray(1.0 - np.exp(-np.asarray(rate) * time), dtype=float)


def prob_to_rate(prob: Value, time: Value = 1.0) -> Value:
    """The constant rate giving probability ``prob`` over ``time``: -log(1 - p) / t."""
    return np.asarray(-np.log1p(-np.asarray(prob)) / time, dtype=float)


def rescale_prob(prob: Value, time: Value) -> Value:
    """Convert a probability over one time unit to one over ``time`` units (via the rate)."""
    return rate_to_prob(prob_to_rate(prob), time)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "min": np.minimum,
    "max": np.maximum,
    "where": np.where,
    "rate_to_prob": rate_to_prob,
    "prob_to_rate": prob_to_rate,
    "rescale_prob": rescale_prob,
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(NightingaleError):
    """An expression in a model file that is malformed or uses something not allowed."""


@lru_cache(maxsize=4096)
def parse(text: str) -> ast.expr:
    """Parse and check one expression; raise :class:`ExpressionError` naming the problem."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {text!r}: {exc.msg}") from exc
    for node in ast.walk(tree):
        allowed = (
            ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call, ast.Name, ast.Constant, ast.Load,
            *_BINARY, *_UNARY, *_COMPARE,
        )  # fmt: skip
        if not isinstance(node, allowed):
            raise ExpressionError(f"{type(node).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ExpressionError(f"only numbers may appear as constants in {text!r}")
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords):
            raise ExpressionError(f"call functions by name with positional arguments in {text!r}")
    return tree


def names_in(text: str) -> set[str]:
    """Every name an expression reads (functions excluded)."""
    tree = parse(text)
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}  # type: ignore[attr-defined]
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called


def evaluate(
    text: str | float | int,
    env: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """The value of an expression (or a plain number) in ``env``."""
    if isinstance(text, int | float):
        return float(text)
    table = {**FUNCTIONS, **(functions or {})}

    def walk(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]  # parse() allows numbers only
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise ExpressionError(f"unknown name {node.id!r} in {text!r}")
            return env[node.id]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise ExpressionError(f"chained comparisons are not allowed in {text!r}")
            return _COMPARE[type(node.ops[0])](walk(node.left), walk(node.comparators[0]))
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            if name not in table:
                raise ExpressionError(f"unknown function {name!r} in {text!r}")
            return table[name](*(walk(arg) for arg in node.args))
        raise ExpressionError(
            f"unsupported expression {text!r}"
        )  # pragma: no cover - parse() guards

    with np.errstate(divide="raise", invalid="raise", over="raise"):
        try:
            return walk(parse(str(text)))
        except FloatingPointError as exc:
            raise ExpressionError(f"{text!r}: {exc}") from exc
