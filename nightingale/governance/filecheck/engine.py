"""The file check: one verdict per file, read from the file itself.

:func:`check_file` refuses what may not leave (types, disguised content), then reads the
file as what it is (table, model output, figure, summary, notebook), hunts what must never
leave in every piece of text it holds, and applies the SDC rules the file family needs.
:func:`check_files` checks a whole request, so rules across files can see every file: a
figure needs its data file, and two tables must not difference to a small cell.

Researcher metadata (``declared``) is context: it names a table's definition so the check
can recompute it from the release, and its own failing evidence blocks, but it never makes
a file pass that the file itself would not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nightingale.governance.errors import InvalidInput
from nightingale.governance.filecheck import figures, model_files
from nightingale.governance.filecheck.differencing import differencing
from nightingale.governance.filecheck.grid import Grid, read_delimited, read_parquet_grid
from nightingale.governance.filecheck.kinds import refuse_type
from nightingale.governance.filecheck.markup import read_markup
from nightingale.governance.filecheck.notebooks import NotebookNotRendered, render_notebook
from nightingale.governance.filecheck.recompute import (
    TableDefinition,
    compare_with_metadata,
    compare_with_release,
    recompute,
)
from nightingale.governance.filecheck.release import ReleaseEvidence
from nightingale.governance.filecheck.scanners import Hunter
from nightingale.governance.filecheck.table_rules import (
    distinct_columns,
    file_only_checks,
    scan_cells,
    too_many_rows,
)
from nightingale.governance.filecheck.verdict import BLOCK, NOTE, REVIEW, FileVerdict, Finding
from nightingale.governance.settings import SdcSettings

MAX_FINDINGS_PER_RULE = 25
Cells = list[dict[str, Any]]


@dataclass(frozen=True)
class _Context:
    path: Path
    release: ReleaseEvidence | None
    declared: Mapping[str, Any] | None
    settings: SdcSettings
    hunter: Hunter
    companions: Sequence[Path]


def _hunter(release: ReleaseEvidence | None, settings: SdcSettings) -> Hunter:
    if release is None:
        return Hunter(settings, {}, ())
    return Hunter(settings, release.hunted, release.hunted_lengths, release.release_id)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path.name}: not UTF-8 text ({exc.reason})") from exc


def _declared_kind(ctx: _Context, kind: str) -> Iterable[Finding]:
    said = ctx.declared.get("kind") if ctx.declared else None
    if said in {"table", "model"} and said != kind:
        yield Finding(
            "metadata-disagrees",
            "metadata",
            f"metadata disagrees with the file: it describes a {said}, the file is a {kind}",
            REVIEW,
        )


def _lines(text: str, ctx: _Context) -> Iterable[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        yield from ctx.hunter.scan(line, f"line {number}")


def check_table_grid(
    grid: Grid, problems: Sequence[str], ctx: _Context
) -> tuple[Cells, list[Finding]]:
    """Scanners, recomputation from the release, file-only rules, metadata comparison."""
    findings = [*scan_cells(grid, ctx.hunter), *_declared_kind(ctx, "table")]
    findings += [Finding("malformed-table", p.split(" has ")[0], p, REVIEW) for p in problems]
    cells: Cells = []
    recomputed = None
    try:
        definition = TableDefinition.from_declared(ctx.declared)
        if definition is not None and ctx.release is not None:
            table = recompute(definition, ctx.release)
            cells, compared = compare_with_release(grid, definition, table, ctx.settings)
            recomputed = table  # only once the file could be compared with it
            findings += compared
            findings.append(
                Finding(
                    "recomputed",
                    "file",
                    f"every cell recomputed from release {ctx.release.release_id}",
                    NOTE,
                )
            )
    except InvalidInput as exc:
        findings.append(
            Finding("definition-unusable", "metadata", f"cannot recompute: {exc}", REVIEW)
        )
    file_cells, file_findings = file_only_checks(
        grid, ctx.settings, ctx.release, counts=recomputed is None
    )
    findings += file_findings
    if ctx.declared and ctx.declared.get("kind") == "table":
        try:
            findings += compare_with_metadata(grid, ctx.declared, recomputed, ctx.settings)
        except InvalidInput as exc:
            findings.append(
                Finding("metadata-disagrees", "metadata", f"metadata disagrees: {exc}", REVIEW)
            )
    return cells or file_cells, findings


def _model(figures_: model_files.ModelFigures, ctx: _Context) -> tuple[Cells, list[Finding]]:
    cells, findings = model_files.check_figures(figures_, ctx.declared, ctx.settings)
    return cells, [*findings, *_declared_kind(ctx, "model")]


def _delimited(ctx: _Context) -> tuple[Cells, list[Finding]]:
    delimiter = "\t" if ctx.path.suffix.lower() == ".tsv" else ","
    grid, problems = read_delimited(ctx.path, delimiter)
    if model_files.is_model_grid(grid):
        cells, findings = _model(model_files.figures_of_grid(grid, ctx.path.stem), ctx)
        return cells, [*scan_cells(grid, ctx.hunter), *findings]
    return check_table_grid(grid, problems, ctx)


def _parquet(ctx: _Context) -> tuple[Cells, list[Finding]]:
    return check_table_grid(read_parquet_grid(ctx.path), (), ctx)


def _json_strings(value: Any, where: str) -> Iterable[tuple[str, str]]:
    """Every key and scalar in a JSON document, with its path (``key coefficients.age``)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            yield str(key), f"key {here}"
            yield from _json_strings(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_strings(item, f"{where}[{i}]")
    elif value is not None:
        yield str(value), f"key {where}" if where else "value"


def _json(ctx: _Context) -> tuple[Cells, list[Finding]]:
    try:
        data = json.loads(_text(ctx.path))
    except ValueError as exc:
        raise InvalidInput(f"{ctx.path.name}: not valid JSON ({exc})") from exc
    if not model_files.is_model_json(data):
        return [], [
            Finding(
                "file-type",
                "file",
                'a JSON file may leave only as a model output ({"kind": "model", ...}); '
                "submit tables as CSV",
                BLOCK,
            )
        ]
    found = [f for s, w in _json_strings(data, "") for f in ctx.hunter.scan(s, w, cell=True)]
    cells, findings = _model(model_files.figures_of_json(data, ctx.path.stem), ctx)
    return cells, [*found, *findings]


def _plain_text(ctx: _Context) -> tuple[Cells, list[Finding]]:
    text = _text(ctx.path)
    findings = list(_lines(text, ctx))
    if ctx.path.suffix.lower() == ".txt" and model_files.is_model_text(text):
        cells, more = _model(model_files.figures_of_text(text, ctx.path.stem), ctx)
        return cells, findings + more
    return [], [*findings, *_declared_kind(ctx, "summary")]


def _markup(text: str, ctx: _Context) -> list[Finding]:
    markup = read_markup(text)
    findings = [f for line, t in markup.texts for f in ctx.hunter.scan(t, f"line {line}")]
    findings += [
        f
        for line, t in markup.hidden
        for f in ctx.hunter.scan(t, f"line {line}", identifiers_only=True)
    ]
    for grid in markup.tables:
        findings += scan_cells(grid, ctx.hunter)
        findings += too_many_rows(grid, ctx.settings, ctx.release)
        findings += distinct_columns(grid, ctx.settings, ctx.release)
    if markup.images:
        lines = ", ".join(str(n) for n in sorted(set(markup.images))[:10])
        findings.append(
            Finding(
                "embedded-image",
                f"line {lines}",
                "an embedded image: what it draws is for the checker's eyes",
                REVIEW,
            )
        )
    return findings


def _html(ctx: _Context) -> tuple[Cells, list[Finding]]:
    return [], [*_markup(_text(ctx.path), ctx), *_declared_kind(ctx, "summary")]


def _notebook(ctx: _Context) -> tuple[Cells, list[Finding]]:
    try:
        html = render_notebook(ctx.path)
    except NotebookNotRendered as exc:
        return [], [Finding("notebook-not-rendered", "file", str(exc), BLOCK)]
    note = Finding(
        "notebook",
        "file",
        "checked as its rendered HTML (lines refer to it): only the HTML may leave",
        REVIEW,
    )
    return [], [note, *_markup(html, ctx)]


def _figure(ctx: _Context) -> list[Finding]:
    return [
        *figures.require_data_file(ctx.path, ctx.companions),
        figures.figure_review(),
        *_declared_kind(ctx, "figure"),
    ]


def _svg(ctx: _Context) -> tuple[Cells, list[Finding]]:
    text = _text(ctx.path)
    if "<svg" not in text[:4096].lower():
        return [], [Finding("disguised-file", "file", "a .svg file without an <svg> element")]
    return [], [*_markup(text, ctx), *_figure(ctx)]


def _png(ctx: _Context) -> tuple[Cells, list[Finding]]:
    data = ctx.path.read_bytes()
    findings = [
        f
        for keyword, text in figures.png_text_chunks(data)
        for f in ctx.hunter.scan(text, f"PNG text chunk {keyword!r}")
    ]
    trailing = figures.png_trailing_data(data)
    return [], [*findings, *([trailing] if trailing else []), *_figure(ctx)]


_READERS: dict[str, Callable[[_Context], tuple[Cells, list[Finding]]]] = {
    ".csv": _delimited,
    ".tsv": _delimited,
    ".parquet": _parquet,
    ".json": _json,
    ".txt": _plain_text,
    ".md": _plain_text,
    ".html": _html,
    ".ipynb": _notebook,
    ".svg": _svg,
    ".png": _png,
}


def _capped(findings: Iterable[Finding]) -> list[Finding]:
    """At most MAX_FINDINGS_PER_RULE findings of each rule and severity, then a count."""
    kept: list[Finding] = []
    extra: dict[tuple[str, str], int] = {}
    seen: dict[tuple[str, str], int] = {}
    for finding in dict.fromkeys(findings):
        key = (finding.rule, str(finding.severity))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= MAX_FINDINGS_PER_RULE:
            kept.append(finding)
        else:
            extra[key] = extra.get(key, 0) + 1
    for (rule, _), more in extra.items():
        first = next(f for f in kept if f.rule == rule)
        kept.append(Finding(rule, "file", f"and {more} more like this", first.severity))
    return kept


def check_file(
    path: Path,
    *,
    release: ReleaseEvidence | None = None,
    declared: Mapping[str, Any] | None = None,
    settings: SdcSettings | None = None,
    companions: Sequence[Path] | None = None,
) -> FileVerdict:
    """The verdict on one file, from its own content.

    ``release``: what the request names (identifiers to hunt, persons to count, frames
    to recompute tables from); ``declared``: the researcher's metadata for this file
    (context only); ``companions``: the other files of the request (default: the files
    beside ``path``), where a figure's data file must be.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    chosen = settings or SdcSettings()
    refused = refuse_type(path)
    if refused is not None:
        return FileVerdict.of(path.name, [refused])
    unusable: list[Finding] = []
    if declared is not None and not isinstance(declared, Mapping):
        unusable.append(
            Finding("metadata-disagrees", "metadata", "metadata is not a JSON object", REVIEW)
        )
        declared = None
    ctx = _Context(
        path,
        release,
        declared,
        chosen,
        _hunter(release, chosen),
        companions if companions is not None else sorted(path.parent.iterdir()),
    )
    try:
        cells, findings = _READERS[path.suffix.lower()](ctx)
    except InvalidInput as exc:
        return FileVerdict.of(path.name, [Finding("unreadable", "file", str(exc), BLOCK)])
    return FileVerdict.of(path.name, _capped([*unusable, *findings]), cells)


def _table_grid(path: Path) -> Grid | None:
    """The grid of a table file for cross-file rules (``None`` for other files)."""
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".tsv"}:
            grid, _ = read_delimited(path, "\t" if suffix == ".tsv" else ",")
            return None if model_files.is_model_grid(grid) else grid
        if suffix == ".parquet":
            return read_parquet_grid(path)
    except InvalidInput:
        return None
    return None


def check_files(
    paths: Sequence[Path],
    *,
    release: ReleaseEvidence | None = None,
    declared: Mapping[str, Mapping[str, Any]] | None = None,
    settings: SdcSettings | None = None,
) -> list[FileVerdict]:
    """Verdicts for every file of one request, with the rules that span files.

    ``declared`` maps a file's name to its metadata. Names must be unique (the airlock
    stores files by name).
    """
    names = [p.name for p in paths]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"two files share the name {', '.join(duplicates)}")
    chosen = settings or SdcSettings()
    metadata = declared or {}
    verdicts = [
        check_file(
            path,
            release=release,
            declared=metadata.get(path.name),
            settings=chosen,
            companions=paths,
        )
        for path in paths
    ]
    tables = [
        (verdict.file, grid)
        for path, verdict in zip(paths, verdicts, strict=True)
        if "file-type" not in verdict.rules()
        and "disguised-file" not in verdict.rules()
        and (grid := _table_grid(path)) is not None
    ]
    extra = differencing(tables, chosen)
    return [v.with_findings(extra.get(v.file, ())) for v in verdicts]
