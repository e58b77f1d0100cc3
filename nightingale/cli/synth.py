"""``nightingale synth``: generate a synthetic Leeds City Region with its truth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.synth import RegionSummary, SynthConfig

console = Console(highlight=False)

DEMO_PEOPLE = 20_000
DEMO_SEED = 2026
DEMO_FOLDER = "demo-region"


def synth(
    people: Annotated[
        int | None, typer.Option("--people", min=1, help="Number of people [default: 20000].")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", min=0, help="Master seed [default: 2026].")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder to create.")] = Path("region"),
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=100, help="People per chunk [default: 50000]."),
    ] = None,
    no_noise: Annotated[
        bool, typer.Option("--no-noise", help="No identifier errors and no duplicates.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML or JSON settings (errors, population, pilot, effects); options win.",
        ),
    ] = None,
    refresh_of: Annotated[
        Path | None,
        typer.Option(
            "--refresh-of",
            help="Write the next extract of the region in this folder (see --months).",
        ),
    ] = None,
    months: Annotated[
        int | None,
        typer.Option("--months", min=1, help="With --refresh-of: months of new events."),
    ] = None,
) -> None:
    """Write three providers' extracts and the truth of a synthetic region to OUT.

    With --refresh-of DIR --months M: the region's next extract, M months on."""
    given = {"people": people, "seed": seed, "chunk_size": chunk_size}
    if refresh_of is not None or months is not None:
        generating = {**given, "config": config_file, "no_noise": no_noise or None}
        _refresh(refresh_of, months, out, force, [k for k, v in generating.items() if v])
        return
    config = _config(config_file, {k: v for k, v in given.items() if v is not None})
    if no_noise:
        config = config.without_noise()
    if out.exists() and not force:
        raise NightingaleError(f"{out} already exists; pass --force to replace it")
    summary = _generate(config, out, replace=force)
    console.print(
        f"[green]ok[/] {config.people:,} people written to {summary.path} "
        f"(pilot {summary.treated:,} designed-for-health, {summary.comparison:,} comparison)"
    )


def _refresh(
    previous: Path | None, months: int | None, out: Path, force: bool, conflicting: list[str]
) -> None:
    """``--refresh-of DIR --months M``: the next extract of the region in DIR."""
    from nightingale.synth.refresh import write_refresh

    if previous is None or months is None:
        raise NightingaleError("a refresh needs both --refresh-of DIR and --months M")
    if conflicting:
        options = ", ".join("--" + name.replace("_", "-") for name in conflicting)
        raise NightingaleError(
            f"{options}: a refresh takes its settings from {previous}/manifest.json"
        )
    if out.exists() and not force:
        raise NightingaleError(f"{out} already exists; pass --force to replace it")
    with console.status("writing the refresh"):
        summary = write_refresh(previous, months, out, replace=force)
    changes = ", ".join(f"{count:,} {change}" for change, count in summary.changes.items())
    console.print(
        f"[green]ok[/] refresh of {previous} to {summary.extract_date} written to "
        f"{summary.path} ({changes or 'no changes'})"
    )


def _config(path: Path | None, options: dict[str, int]) -> SynthConfig:
    """Settings from the file (if any) with the command-line options on top."""
    import yaml
    from pydantic import ValidationError

    from nightingale.synth import SynthConfig

    settings: dict[str, object] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise NightingaleError(f"{path}: cannot read the settings ({exc})") from exc
        if not isinstance(loaded, dict):
            raise NightingaleError(f"{path}: expected a mapping of settings")
        settings = loaded
    try:
        return SynthConfig.model_validate({**settings, **options})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        source = path if path is not None else "synth"
        raise NightingaleError(f"{source}: {where}: {first['msg']}") from exc


def _generate(config: SynthConfig, out: Path, replace: bool) -> RegionSummary:
    from rich.progress import Progress

    from nightingale.synth import generate_region

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("generating chunks", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return generate_region(config, out, replace=replace, progress=progress)


def _demo_region(run: DemoRun) -> None:
    from nightingale.synth import SynthConfig, generate_region, is_complete

    target = run.cli.settings.data_root / DEMO_FOLDER
    if is_complete(target):
        console.print(f"synthetic region already complete at {target}")
        return
    summary = generate_region(
        SynthConfig(people=DEMO_PEOPLE, seed=DEMO_SEED), target, replace=target.exists()
    )
    console.print(
        f"synthetic region: {DEMO_PEOPLE:,} people at {summary.path} "
        f"(pilot {summary.treated:,}, comparison {summary.comparison:,})"
    )


DEMO_STAGES = [(30, "synthetic region", _demo_region)]


def register(app: typer.Typer) -> None:
    """Add the synth command."""
    app.command()(synth)
