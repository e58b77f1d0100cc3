"""What the pages show about a cohort spec, computed by the cohorts package.

The web layer never interprets a spec itself: validation (the cohorts package's one
:func:`~nightingale.cohorts.validation.validate_spec`), the compiled SQL, the tables and
columns a spec reads and the quasi-identifiers all come from :mod:`nightingale.cohorts`.
This module only shapes them for templates; requests are checked by the request
operations (:mod:`nightingale.operations.requests`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

import yaml

from nightingale.cohorts import catalogue as cohort_catalogue
from nightingale.cohorts.catalogue import catalogue_for, default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.kanonymity import KAnonymity
from nightingale.cohorts.loading import SpecError, parse_spec
from nightingale.cohorts.validation import SPEC_SOURCE, validate_spec
from nightingale.operations import cohorts
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import ContractError, current_spine_run
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot


@dataclass(frozen=True)
class SpecView:
    """A spec as a steward reads it."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    """Settings that are not lists of named variables, as (dotted key, value)."""
    variable_tables: list[tuple[str, list[dict[str, str]]]] = field(default_factory=list)
    """Each list of named variables (baseline, outcomes) as one row per variable."""
    sql: dict[str, str] = field(default_factory=dict)
    variables: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(where in the spec, table, column, sensitivity)."""
    quasi_identifiers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def flatten(value: Any, path: str = "") -> Iterable[tuple[str, str]]:
    """Nested YAML as (dotted key, scalar) rows, in document order."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for index, item in enumerate(value):
            label = item.get("name", index) if isinstance(item, dict) else index
            yield from flatten(item, f"{path}[{label}]")
    else:
        yield path, ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _named_lists(value: Any, path: str = "") -> Iterable[tuple[str, list[dict[str, Any]]]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _named_lists(item, f"{path}.{key}" if path else str(key))
    elif (
        isinstance(value, list)
        and value
        and all(isinstance(v, dict) and "name" in v for v in value)
    ):
        yield path, value


def _variable_row(item: dict[str, Any]) -> dict[str, str]:
    source = ".".join(str(item[k]) for k in ("table", "column") if k in item)
    rest = {k: v for k, v in item.items() if k not in ("name", "kind", "table", "column")}
    details = "; ".join(f"{k}: {_short(v)}" for k, v in rest.items())
    return {
        "name": str(item["name"]),
        "kind": str(item.get("kind", "")),
        "source": source,
        "details": details,
    }


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_short(v) for v in value)
    return str(value)


def spec_view(spec_text: str, data_root: Path | None = None) -> SpecView:
    """Everything the request page shows about ``spec_text``; problems instead on failure.

    The spec is checked against ``data_root``'s catalogue (its operator's providers
    too), else the shipped one.
    """
    try:
        document = yaml.safe_load(spec_text)
    except yaml.YAMLError as exc:
        return SpecView(problems=[f"not valid YAML: {exc}"])
    tables = [(path, [_variable_row(i) for i in items]) for path, items in _named_lists(document)]
    listed = {path for path, _ in tables}
    rows = [
        (key, value)
        for key, value in flatten(document)
        if not any(key.startswith(f"{path}[") for path in listed)
    ]
    try:
        catalogue = default_catalogue() if data_root is None else catalogue_for(DataRoot(data_root))
        spec = validate_spec(spec_text, SPEC_SOURCE, catalogue)
        compiled = compile_spec(spec, catalogue, SPEC_SOURCE)
        variables = [
            (where, table, column, str(catalogue.column(table, column).sensitivity))
            for where, table, column in cohort_catalogue.columns_read(spec)
        ]
        quasi = catalogue.quasi_identifiers(spec)
    except SpecError as exc:
        return SpecView(rows=rows, variable_tables=tables, problems=[str(exc)])
    return SpecView(
        rows=rows,
        variable_tables=tables,
        sql=compiled.sql(),
        variables=variables,
        quasi_identifiers=quasi,
    )


def datasets_read(spec_text: str) -> list[str]:
    """The datasets a spec reads (which justification fields to show), else []."""
    try:
        return cohort_catalogue.datasets_read(parse_spec(spec_text, SPEC_SOURCE))
    except SpecError:
        return []


def k_anonymity_estimate(unit: Unit, spec_text: str) -> tuple[KAnonymity | None, str]:
    """The k a release of this spec would have today, or why it cannot be estimated yet.

    Runs the spec's persons query on the current zones (the estimate operation), so it
    needs ingested and linked data; before that the page says so. The answer only
    changes with the spec or the spine, so it is remembered per (settings, spec, spine
    run in force).
    """
    try:
        spine = current_spine_run(unit.root) or ""
    except ContractError as exc:
        return None, str(exc)
    key = (unit.settings.model_dump_json(), spec_text, spine)
    with _ESTIMATES_LOCK:
        if key in _ESTIMATES:
            _ESTIMATES.move_to_end(key)
            return _ESTIMATES[key]
    try:
        answer: tuple[KAnonymity | None, str] = (cohorts.estimate(unit, spec_text), "")
    except NightingaleError as exc:
        answer = (None, str(exc))
    with _ESTIMATES_LOCK:
        _ESTIMATES[key] = answer
        while len(_ESTIMATES) > _ESTIMATES_KEPT:
            _ESTIMATES.popitem(last=False)
    return answer


_ESTIMATES_KEPT = 32
_ESTIMATES: OrderedDict[tuple[str, str, str], tuple[KAnonymity | None, str]] = OrderedDict()
_ESTIMATES_LOCK = Lock()
