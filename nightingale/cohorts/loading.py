"""Read a cohort spec from YAML, with errors that name the file, line and field.

PyYAML's ``compose`` keeps a mark (line, column) on every node, so a pydantic error
location such as ``("baseline", 3, "window", "start")`` is walked down the node tree to
the line a steward can open in an editor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from nightingale.cohorts.spec import CohortSpec
from nightingale.platform.errors import NightingaleError


class SpecError(NightingaleError):
    """A cohort spec that cannot be read or does not validate."""


def _node_at(root: yaml.Node, location: Sequence[int | str]) -> yaml.Node:
    """The deepest YAML node on the path ``location`` (unknown steps are skipped)."""
    node = root
    for step in location:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == step:
                    node = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            node = node.value[step]
    return node


def _describe(error: dict[str, object], root: yaml.Node | None, source: str) -> str:
    location = [s for s in error.get("loc", ()) if isinstance(s, int | str)]  # type: ignore[attr-defined]
    field = ".".join(str(s) for s in location) or "spec"
    # A kind that matches no variable type: point at the ``kind:`` line, not the item.
    at = [*location, "kind"] if str(error.get("type", "")).startswith("union_tag") else location
    line = f":{_node_at(root, at).start_mark.line + 1}" if root is not None else ""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{source}{line}: {field}: {message}"


def parse_spec(text: str, source: str = "<spec>") -> CohortSpec:
    """Validate YAML text as a :class:`CohortSpec`; raise :class:`SpecError` per problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise SpecError(
            f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    if not isinstance(data, dict):
        raise SpecError(f"{source}:1: a cohort spec is a mapping (name, population, ...)")
    try:
        return CohortSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(dict(e), root, source) for e in exc.errors()]
        raise SpecError("; ".join(problems)) from exc


def read_spec_text(path: Path) -> str:
    """The text of the spec file at ``path``; :class:`SpecError` naming it when unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the cohort spec ({exc.strerror})") from exc


def load_spec(path: Path) -> CohortSpec:
    """Read and validate the spec file at ``path`` (its fields only: see :mod:`.validation`)."""
    return parse_spec(read_spec_text(path), str(path))


def spec_hash(text: str) -> str:
    """SHA-256 of the spec text exactly as approved (the release manifest records it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
