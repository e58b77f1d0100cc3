"""Read a cohort spec from YAML, with errors that name the file, line and field.

PyYAML's ``compose`` keeps a mark (line, column) on every node, so a pydantic error
location such as ``("baseline", 3, "window", "start")`` is walked down the node tree to
the line a steward can open in an editor.

Codelists a spec names are read here too (:mod:`nightingale.cohorts.codelists`): a
parsed spec carries every codelist it uses in ``codelists`` (embedded in the text, else
read from beside the spec file, else from the shipped examples), so that compiling and
building never look for files. :func:`embed_codelists` writes the ones read from files
into the text itself, which is what a request stores and stewards approve.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from nightingale.cohorts.codelists import CodelistError, read_codelist_text, text_sha256
from nightingale.cohorts.spec import CohortSpec, EmbeddedCodelist
from nightingale.platform.errors import NightingaleError


class SpecError(NightingaleError):
    """A cohort spec that cannot be read or does not validate."""


class CodelistFileError(SpecError):
    """A codelist the spec names cannot be found or read (named with the spec's line)."""


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


def parse_spec(text: str, source: str = "<spec>", folder: Path | None = None) -> CohortSpec:
    """Validate YAML text as a :class:`CohortSpec`; raise :class:`SpecError` per problem.

    Codelists the text does not embed are read from ``folder`` (the spec file's) or the
    shipped examples (:func:`nightingale.cohorts.codelists.find_codelist`).
    """
    spec, root = _parse(text, source)
    return _with_codelists(spec, root, source, folder)


def _parse(text: str, source: str) -> tuple[CohortSpec, yaml.Node | None]:
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
        return CohortSpec.model_validate(data), root
    except ValidationError as exc:
        problems = [_describe(dict(e), root, source) for e in exc.errors()]
        raise SpecError("; ".join(problems)) from exc


def _with_codelists(
    spec: CohortSpec, root: yaml.Node | None, source: str, folder: Path | None
) -> CohortSpec:
    """``spec`` with every codelist it uses in ``codelists`` (read from files if need be)."""
    found: dict[str, EmbeddedCodelist] = {}
    problems: list[str] = []
    for location, _name, match in spec.codelist_uses():
        if match.file in spec.codelists or match.file in found:
            continue
        try:
            text = read_codelist_text(match.file, folder)
        except CodelistError as exc:
            at = [*location, "codelist", "file"]
            line = f":{_node_at(root, at).start_mark.line + 1}" if root is not None else ""
            problems.append(f"{source}{line}: {'.'.join(map(str, at))}: {exc}")
            continue
        found[match.file] = EmbeddedCodelist(sha256=text_sha256(text), text=text)
    if problems:
        raise CodelistFileError("; ".join(problems))
    if not found:
        return spec
    return spec.model_copy(update={"codelists": {**spec.codelists, **found}})


def embed_codelists(text: str, source: str = "<spec>", folder: Path | None = None) -> str:
    """``text`` with the codelists it names embedded, so the text alone is the whole spec.

    A spec that already embeds every codelist it uses is returned unchanged; otherwise a
    ``codelists:`` section is appended (the researcher's text above it is kept as it is).
    A spec with its own ``codelists:`` section must list every codelist it uses there.
    """
    spec, root = _parse(text, source)
    complete = _with_codelists(spec, root, source, folder)
    missing = {f: c for f, c in complete.codelists.items() if f not in spec.codelists}
    if not missing:
        return text
    if spec.codelists:
        names = ", ".join(sorted(missing))
        raise SpecError(
            f"{source}: codelists: the spec embeds some codelists but not {names}; "
            "add them or remove the section to have every codelist embedded"
        )
    section = {"codelists": {f: c.model_dump() for f, c in missing.items()}}
    embedded = (
        text.rstrip("\n")
        + "\n\n# The codelists this spec names, embedded from their files by nightingale: a\n"
        + "# changed codelist is a changed spec. Edit the CSV files, not this section.\n"
        + yaml.dump(section, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True)
    )
    check = yaml.safe_load(embedded)
    if not isinstance(check, dict) or check.get("codelists") != section["codelists"]:
        raise SpecError(f"{source}: cannot append the codelists section to this spec's YAML")
    return embedded


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings (a codelist's CSV) as readable ``|`` blocks."""


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal)


def read_spec_text(path: Path) -> str:
    """The spec file at ``path`` with the codelists it names embedded (:func:`embed_codelists`).

    :class:`SpecError` naming the file when it is unreadable or a codelist it names is
    missing; a spec that does not validate is returned as it is, for the validator (or
    governance, which audits refusals) to report.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the cohort spec ({exc.strerror})") from exc
    try:
        return embed_codelists(text, str(path), path.parent)
    except CodelistFileError:
        raise
    except SpecError:
        return text


def load_spec(path: Path) -> CohortSpec:
    """Read and validate the spec file at ``path`` (its fields only: see :mod:`.validation`)."""
    return parse_spec(read_spec_text(path), str(path), path.parent)


def spec_hash(text: str) -> str:
    """SHA-256 of the spec text exactly as approved (the release manifest records it).

    Pass the text with its codelists embedded (:func:`embed_codelists`): then the hash
    covers the codes too.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
