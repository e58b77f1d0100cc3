"""Reading provider files: YAML with line numbers, and where providers are found.

Providers come from two folders: the ones shipped with the platform
(``nightingale/platform/contracts/providers/*.yaml``: health, housing, employment) and
the operator's (``<data_root>/providers/*.yaml``), so onboarding a new extract is
writing one file, not code. Every problem is reported as ``file:line: field: message``
(the line of the field, or of the nearest enclosing one when the field is missing), all
problems of a file at once.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nightingale.platform.contracts.provider_schema import (
    Location,
    ProviderSchema,
    rule_problems,
)
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot

#: The folder under a data root where an operator puts provider files.
OPERATOR_FOLDER = "providers"


class ProviderFileError(NightingaleError):
    """A provider file is not valid; ``problems`` holds one ``file:line: ...`` per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _where(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top)"


class _Lines:
    """The line of every key and list item of a YAML document, by its location."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Location, int] = {}

    def walk(self, node: yaml.Node, location: Location = ()) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                line = key.start_mark.line + 1
                if name in seen:
                    raise ProviderFileError(
                        [f"{self.source}:{line}: {_where((*location, name))}: given twice"]
                    )
                seen.add(name)
                self.lines[(*location, name)] = line
                self.walk(value, (*location, name))
        elif isinstance(node, yaml.SequenceNode):
            for number, item in enumerate(node.value):
                self.lines[(*location, number)] = item.start_mark.line + 1
                self.walk(item, (*location, number))

    def line(self, location: Location) -> int:
        """The line of ``location``, or of its nearest enclosing field (1: the top)."""
        for end in range(len(location), 0, -1):
            found = self.lines.get(location[:end])
            if found is not None:
                return found
        return 1

    def problem(self, location: Location, message: str) -> str:
        return f"{self.source}:{self.line(location)}: {_where(location)}: {message}"


#: libyaml's safe loader where PyYAML was built with it (several times faster), else
#: PyYAML's own; both give the same nodes, values and line marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _document(text: str, source: str) -> tuple[Any, _Lines]:
    lines = _Lines(source)
    try:
        node = yaml.compose(text, Loader=_LOADER)
        if node is None:
            raise ProviderFileError([f"{source}:1: (top): empty file"])
        lines.walk(node)
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (_LOADER is a safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ProviderFileError([f"{source}:{line}: not valid YAML ({exc.problem})"]) from exc
    except yaml.YAMLError as exc:
        raise ProviderFileError([f"{source}:1: not valid YAML ({exc})"]) from exc
    return data, lines


def parse_provider(text: str, source: str = "<provider>") -> ProviderSchema:
    """The provider ``text`` declares, or :class:`ProviderFileError` naming every problem."""
    data, lines = _document(text, source)
    if not isinstance(data, dict):
        raise ProviderFileError([f"{source}:1: (top): a provider file is a mapping of fields"])
    try:
        schema = ProviderSchema.model_validate(data)
    except ValidationError as exc:
        first: dict[Location, str] = {}  # a union's members each fail: say it once
        for error in exc.errors():
            location = tuple(p for p in error["loc"] if p != "[key]")
            first.setdefault(location, error["msg"])
        raise ProviderFileError([lines.problem(loc, msg) for loc, msg in first.items()]) from exc
    broken = rule_problems(schema)
    if broken:
        raise ProviderFileError([lines.problem(location, message) for location, message in broken])
    return schema


def load_provider(path: Path) -> ProviderSchema:
    """The provider declared in the file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderFileError([f"{path}: cannot read ({exc})"]) from exc
    return parse_provider(text, str(path))


def shipped_folder() -> Path:
    """The folder of the providers shipped with the platform."""
    return Path(str(resources.files("nightingale.platform.contracts").joinpath("providers")))


def operator_folder(root: DataRoot) -> Path:
    """The folder where an operator adds provider files (``<data_root>/providers``)."""
    return root.path / OPERATOR_FOLDER


def _yaml_files(folder: Path) -> list[Path]:
    """The ``*.yaml`` files of ``folder`` by name (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("."))


def provider_files(root: DataRoot | None = None) -> list[Path]:
    """Every provider file: the shipped ones, then the operator's (each sorted by name)."""
    operator = _yaml_files(operator_folder(root)) if root is not None else []
    return _yaml_files(shipped_folder()) + operator


@cache
def _shipped() -> tuple[tuple[Path, ProviderSchema], ...]:
    return tuple((path, load_provider(path)) for path in _yaml_files(shipped_folder()))


def provider_sources(root: DataRoot | None = None) -> dict[str, tuple[Path, ProviderSchema]]:
    """Every provider by name, sorted, with the file that declares it.

    The shipped providers plus ``root``'s operator folder (only the shipped ones without
    ``root``). Two files declaring one provider (an operator file reusing a shipped
    name, say) are refused, naming both files.
    """
    found: list[tuple[Path, ProviderSchema]] = list(_shipped())
    if root is not None:
        found += [(path, load_provider(path)) for path in _yaml_files(operator_folder(root))]
    by_name: dict[str, tuple[Path, ProviderSchema]] = {}
    for path, schema in found:
        if schema.provider in by_name:
            first = by_name[schema.provider][0]
            raise ProviderFileError(
                [f"{path}: provider {schema.provider!r} is already declared in {first}"]
            )
        by_name[schema.provider] = (path, schema)
    return {name: by_name[name] for name in sorted(by_name)}


def discover_providers(root: DataRoot | None = None) -> dict[str, ProviderSchema]:
    """Every provider by name, sorted (see :func:`provider_sources`)."""
    return {name: schema for name, (_path, schema) in provider_sources(root).items()}


def find_provider(name: str, root: DataRoot | None = None) -> ProviderSchema:
    """The provider called ``name``; a clear error naming the known ones otherwise."""
    known = discover_providers(root)
    if name not in known:
        raise NightingaleError(f"unknown provider {name!r}; known: {', '.join(known)}")
    return known[name]
