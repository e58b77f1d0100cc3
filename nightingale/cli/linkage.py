"""``nightingale ingest``, ``link`` and ``link-files``: the linkage layer's commands.

``ingest`` and ``link`` parse, open a unit of work as the person named by ``--as`` (a
linkage officer: both are governed actions) and call the operation
(:mod:`nightingale.operations.linkage`), which checks the policy and the provider's data
sharing agreement and registers and audits the version or run in the unit's
transaction; ``link-files`` links any CSV files and needs no data root.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from nightingale.cli.context import state
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.linkage.ingest import IngestReport
    from nightingale.linkage.link import LinkSummary
    from nightingale.platform.settings import Settings

console = Console(highlight=False)
DEMO_FOLDER = "demo-region"
OFFICER = "lina"
"""Who ingests and links in the demo (``governance_demo.OFFICER``, a linkage officer)."""
As = Annotated[
    str,
    typer.Option("--as", envvar="NIGHTINGALE_ACTOR", help="Who is acting (a linkage officer)."),
]


def _ingest(settings: Settings, provider: str, files: list[Path], actor: str) -> None:
    """Ingest in a unit of its own; print what was committed."""
    from nightingale.cli.governance import governance_unit
    from nightingale.operations import linkage

    with governance_unit(settings, actor) as unit:
        report = linkage.ingest(unit, provider, files)
    _print_ingest(report)


def _print_ingest(report: IngestReport) -> None:
    if report.version_id is None:
        console.print(f"[yellow]no-op[/] {report.message}")
        return
    console.print(f"{report.provider} version {report.version_id}")
    for f in report.files:
        console.print(
            f"  {f.file_name}: {f.rows_input:,} rows, {f.rows_accepted:,} accepted, "
            f"{f.rows_quarantined:,} quarantined"
        )
        for reason, count in sorted(f.rejections.by_reason().items()):
            console.print(f"      {count:,} x {reason}")
    console.print(f"[green]ok[/] accepted {report.accepted:,}, quarantined {report.quarantined:,}")


def ingest(
    ctx: typer.Context,
    provider: Annotated[
        str,
        typer.Argument(
            help="The provider: health, housing, employment or an operator's (provider list)."
        ),
    ],
    files: Annotated[list[Path], typer.Argument(help="The people file and any event files.")],
    actor: As,
) -> None:
    """Validate, quarantine and ingest a provider's extract files as one dataset version.

    A linkage officer's action, under a current data sharing agreement with the provider
    covering every file (nightingale agreements list).
    """
    _ingest(state(ctx).settings, provider, files, actor)


def demo_truth(settings: Settings) -> Path | None:
    """The demo region's ``truth/records.csv`` when the data root holds one."""
    candidate = settings.data_root / DEMO_FOLDER / "truth" / "records.csv"
    return candidate if candidate.is_file() else None


def demo_imd_lookup(settings: Settings) -> Path | None:
    """The demo region's ``reference/postcode_imd.csv`` when the data root holds one."""
    candidate = settings.data_root / DEMO_FOLDER / "reference" / "postcode_imd.csv"
    return candidate if candidate.is_file() else None


def _link(
    settings: Settings,
    truth: Path | None,
    threshold: float | None,
    actor: str,
    full: bool = False,
    imd: Path | None = None,
) -> None:
    """Link in a unit of its own (measured against ``truth``, else the demo's); print it."""
    from nightingale.cli.governance import governance_unit
    from nightingale.linkage.guild_areas import install_area_lookup
    from nightingale.operations import linkage
    from nightingale.platform.storage import DataRoot

    if imd is not None:
        installed = install_area_lookup(DataRoot(settings.data_root), imd)
        console.print(f"IMD lookup installed: {installed}")
    with governance_unit(settings, actor) as unit:
        summary = linkage.link(
            unit, truth=truth or demo_truth(settings), threshold=threshold, full=full
        )
    _print_link(summary)


def _print_link(summary: LinkSummary) -> None:
    overall = summary.metrics["overall"]
    console.print(
        f"link run {summary.run_id}: {overall['records']:,} records, {overall['persons']:,} persons"
    )
    counts = summary.counts
    if summary.full_reason is None:
        console.print(
            f"  incremental: {counts.get('records_fresh', 0):,} new or changed records, "
            f"{counts.get('pairs_rescored', 0):,} pairs scored, "
            f"{counts.get('pairs_reused', 0):,} reused"
            + (", model retrained" if counts.get("retrained") else "")
        )
    else:
        console.print(f"  full relink ({summary.full_reason})")
    console.print(
        "  persons: "
        + ", ".join(
            f"{counts.get(f'persons_{kind}', 0):,} {kind}"
            for kind in ("kept", "new", "merged", "split", "retired")
        )
    )
    _print_estimated(summary.metrics["estimated"])
    measured = summary.metrics.get("measured")
    if measured:
        for name, m in measured.items():
            console.print(
                f"  measured {name}: precision {m['precision']:.4f}, recall {m['recall']:.4f}, "
                f"F1 {m['f1']:.4f}"
            )
    console.print(f"[green]ok[/] spine and report in {summary.folder}")


def _interval(estimated: dict[str, Any], name: str) -> str:
    low_high = estimated.get(f"{name}_ci")
    return f" (95% {low_high[0]:.4f} to {low_high[1]:.4f})" if low_high else ""


def _print_estimated(estimated: dict[str, Any]) -> None:
    console.print(
        f"  estimated precision {estimated['precision']:.4f}{_interval(estimated, 'precision')}, "
        f"recall {estimated['recall']:.4f}{_interval(estimated, 'recall')}"
    )


def link(
    ctx: typer.Context,
    actor: As,
    truth: Annotated[
        Path | None,
        typer.Option(help="truth/records.csv of a synthetic region (default: the demo region's)."),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Match weight at which a pair links.")
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Relink everything and retrain, instead of only new or changed records."
        ),
    ] = False,
    imd_lookup: Annotated[
        Path | None,
        typer.Option(
            "--imd-lookup",
            help="CSV postcode,imd_decile to install for the report's IMD quintiles (GUILD).",
        ),
    ] = None,
) -> None:
    """Link every provider's newest version into a new spine, with a quality report.

    With a spine in force only new or changed records' pairs are compared (the model is
    retrained as a full relink trains it and the kept pairs re-weighed, so the partition
    is a full relink's); persons keep their ids and merges and splits are recorded as
    lineage.
    A linkage officer's (or an administrator's) action.
    """
    _link(state(ctx).settings, truth, threshold, actor, full, imd_lookup)


def lineage(
    ctx: typer.Context,
    actor: As,
    run: Annotated[
        str | None, typer.Option("--run", help="A link run id (default: the spine in force).")
    ] = None,
) -> None:
    """How a link run changed person ids: merges, splits, new and retired persons.

    Prints counts by kind and reason, not the ids themselves. A linkage officer's (or an
    administrator's) view.
    """
    from nightingale.cli.governance import governance_unit
    from nightingale.operations import linkage

    with governance_unit(state(ctx).settings, actor) as unit:
        run_id, rows = linkage.lineage(unit, run)
    console.print(f"lineage of link run {run_id}: {len(rows):,} changes")
    if rows.empty:
        console.print("  every previous person kept its id and its records")
        return
    summary = rows.groupby(["kind", "reason"], sort=True)["records"].agg(["size", "sum"])
    for (kind, reason), persons, records in zip(
        summary.index, summary["size"], summary["sum"], strict=True
    ):
        console.print(f"  {kind}: {persons:,} persons, {records:,} records ({reason})")


def link_files(
    files: Annotated[list[Path], typer.Argument(help="CSV files to link.")],
    id_column: Annotated[str, typer.Option("--id-column", help="Column with each row's id.")],
    mapping: Annotated[
        list[str], typer.Option("--map", help="FIELD=COLUMN (repeat; a field may take several).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Spine CSV to write.")],
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="strptime format of dates (default ISO).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Match weight at which a pair links.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Quality report JSON to write (precision and recall estimated)."
        ),
    ] = None,
    one_per_person: Annotated[
        bool,
        typer.Option(
            "--one-record-per-person",
            help="Each file holds at most one record per person (evidence for the estimates).",
        ),
    ] = False,
) -> None:
    """Link any CSV files through the same normalise, tokenise and Splink pipeline."""
    from nightingale.linkage.engine import LinkOptions
    from nightingale.linkage.link_files import (
        files_report,
        parse_mapping,
        write_report_json,
        write_spine_csv,
    )
    from nightingale.linkage.link_files import link_files as run

    options = LinkOptions() if threshold is None else LinkOptions(threshold_weight=threshold)
    result = run(files, id_column, parse_mapping(mapping), date_format, options)
    write_spine_csv(result.spine, out)
    console.print(
        f"[green]ok[/] {len(result.spine):,} records, {result.spine['person_id'].nunique():,} "
        f"persons -> {out} ({result.seconds:.1f} s)"
    )
    if report is not None:
        made = files_report(result, one_per_person)
        write_report_json(made, report)
        _print_estimated(made["estimated"])
        console.print(f"[green]ok[/] report -> {report}")


def _demo_ingest(run: DemoRun) -> None:
    from nightingale.linkage.schemas import providers
    from nightingale.platform.storage import DataRoot

    extracts = run.cli.settings.data_root / DEMO_FOLDER / "extracts"
    if not extracts.is_dir():
        raise NightingaleError(f"{extracts}: no demo extracts (stage 30 writes them)")
    for name, spec in sorted(providers(DataRoot(run.cli.settings.data_root)).items()):
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [extracts / name / file_name for file_name in names]
        present = [f for f in files if f.is_file()]
        if present:
            _ingest(run.cli.settings, name, present, OFFICER)


def _demo_link(run: DemoRun) -> None:
    _link(run.cli.settings, None, None, OFFICER, imd=demo_imd_lookup(run.cli.settings))


DEMO_STAGES = [(50, "ingest", _demo_ingest), (60, "link", _demo_link)]


def register(app: typer.Typer) -> None:
    """Add the linkage commands."""
    app.command()(ingest)
    app.command()(link)
    app.command()(lineage)
    app.command("link-files")(link_files)
