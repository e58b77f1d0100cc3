"""``nightingale ingest``, ``link`` and ``link-files``: the linkage layer's commands.

The CLI is the edge where linkage meets governance: each ingest and link run is
audited (``dataset.ingested``, ``linkage.run``) in the same transaction that registers
it, with counts, ids and checksums only.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from nightingale.cli.context import state
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nightingale.cli.demo import DemoRun
    from nightingale.linkage.ingest import IngestReport
    from nightingale.linkage.link import LinkSummary
    from nightingale.platform.settings import Settings

console = Console(highlight=False)
DEMO_FOLDER = "demo-region"


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _audit(
    session: Session,
    settings: Settings,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
) -> None:
    """Append to the audit chain when governance is installed in this database."""
    from nightingale.governance import audit
    from nightingale.platform.bootstrap import keystore_for

    audit.record(
        session,
        keystore_for(settings),
        actor=_actor(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from nightingale.platform import database
    from nightingale.platform.storage import DataRoot

    DataRoot(settings.data_root).read_marker()
    engine = database.make_engine(settings.resolved_database_url)
    try:
        if not database.is_up_to_date(engine):
            raise NightingaleError("the database is not migrated; run 'nightingale init'")
        with database.session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def ingest_files(settings: Settings, provider_name: str, files: list[Path]) -> IngestReport:
    """Ingest one provider's files as one version, register and audit it."""
    from nightingale.linkage.ingest import ingest as run_ingest
    from nightingale.linkage.schemas import provider
    from nightingale.platform.bootstrap import keystore_for
    from nightingale.platform.storage import DataRoot

    spec = provider(provider_name)
    root = DataRoot(settings.data_root)
    keystore = keystore_for(settings)
    report = None
    try:
        with _session(settings) as session:
            report = run_ingest(session, root, keystore, spec, files)
            if report.version_id is not None:
                _audit(
                    session,
                    settings,
                    "dataset.ingested",
                    "dataset_version",
                    f"{spec.name}/{report.version_id}",
                    {
                        "provider": spec.name,
                        "version": report.version_id,
                        "files": {
                            f.file_name: {
                                "sha256": f.sha256,
                                "rows": f.rows_input,
                                "accepted": f.rows_accepted,
                                "quarantined": f.rows_quarantined,
                            }
                            for f in report.files
                        },
                    },
                )
    except BaseException:
        # The database did not take the version: its files must not look ingested.
        if report is not None and report.version_id is not None:
            from nightingale.linkage.ingest import discard_version

            discard_version(root, spec.name, report.version_id)
        raise
    return report


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
    provider: Annotated[str, typer.Argument(help="health, housing or employment.")],
    files: Annotated[list[Path], typer.Argument(help="The people file and any event files.")],
) -> None:
    """Validate, quarantine and ingest a provider's extract files as one dataset version."""
    _print_ingest(ingest_files(state(ctx).settings, provider, files))


def run_link(settings: Settings, truth: Path | None, threshold: float | None) -> LinkSummary:
    """Link everything ingested, write the spine and report, audit the run."""
    from nightingale.linkage.backend import backend_for
    from nightingale.linkage.engine import LinkOptions
    from nightingale.linkage.link import link as run_link
    from nightingale.platform.bootstrap import keystore_for
    from nightingale.platform.storage import DataRoot

    if truth is None:
        candidate = settings.data_root / DEMO_FOLDER / "truth" / "records.csv"
        truth = candidate if candidate.is_file() else None
    options = LinkOptions() if threshold is None else LinkOptions(threshold_weight=threshold)
    backend = backend_for(settings)  # DuckDB or Spark, from settings.engine
    try:
        with _session(settings) as session:
            summary = run_link(
                session,
                DataRoot(settings.data_root),
                keystore_for(settings),
                backend,
                options,
                truth,
            )
            _audit(
                session,
                settings,
                "linkage.run",
                "link_run",
                summary.run_id,
                {"key_id": summary.key_id, "versions": summary.versions, "counts": summary.counts},
            )
    finally:
        backend.close()
    return summary


def link_root(settings: Settings, truth: Path | None, threshold: float | None) -> None:
    """:func:`run_link` and print what it did."""
    summary = run_link(settings, truth, threshold)
    overall = summary.metrics["overall"]
    console.print(
        f"link run {summary.run_id}: {overall['records']:,} records, {overall['persons']:,} persons"
    )
    estimated = summary.metrics["estimated"]
    console.print(
        f"  estimated precision {estimated['precision']:.4f}, recall {estimated['recall']:.4f}"
    )
    measured = summary.metrics.get("measured")
    if measured:
        for name, m in measured.items():
            console.print(
                f"  measured {name}: precision {m['precision']:.4f}, recall {m['recall']:.4f}, "
                f"F1 {m['f1']:.4f}"
            )
    console.print(f"[green]ok[/] spine and report in {summary.folder}")


def link(
    ctx: typer.Context,
    truth: Annotated[
        Path | None,
        typer.Option(help="truth/records.csv of a synthetic region (default: the demo region's)."),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Match weight at which a pair links.")
    ] = None,
) -> None:
    """Link every provider's newest version into a new spine, with a quality report."""
    link_root(state(ctx).settings, truth, threshold)


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
) -> None:
    """Link any CSV files through the same normalise, tokenise and Splink pipeline."""
    from nightingale.linkage.engine import LinkOptions
    from nightingale.linkage.link_files import link_files as run
    from nightingale.linkage.link_files import parse_mapping, write_spine_csv

    options = LinkOptions() if threshold is None else LinkOptions(threshold_weight=threshold)
    result = run(files, id_column, parse_mapping(mapping), date_format, options)
    write_spine_csv(result.spine, out)
    console.print(
        f"[green]ok[/] {len(result.spine):,} records, {result.spine['person_id'].nunique():,} "
        f"persons -> {out} ({result.seconds:.1f} s)"
    )


def _demo_ingest(run: DemoRun) -> None:
    from nightingale.linkage.schemas import providers

    extracts = run.cli.settings.data_root / DEMO_FOLDER / "extracts"
    if not extracts.is_dir():
        raise NightingaleError(f"{extracts}: no demo extracts (stage 30 writes them)")
    for name, spec in sorted(providers().items()):
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [extracts / name / file_name for file_name in names]
        present = [f for f in files if f.is_file()]
        if present:
            _print_ingest(ingest_files(run.cli.settings, name, present))


def _demo_link(run: DemoRun) -> None:
    link_root(run.cli.settings, None, None)


DEMO_STAGES = [(50, "ingest", _demo_ingest), (60, "link", _demo_link)]


def register(app: typer.Typer) -> None:
    """Add the linkage commands."""
    app.command()(ingest)
    app.command()(link)
    app.command("link-files")(link_files)
