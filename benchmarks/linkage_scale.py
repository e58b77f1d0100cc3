"""End to end at scale: ingest all three providers, tokenise and link; time and memory.

    .venv/bin/python benchmarks/linkage_scale.py [--people 1000000] [--region DIR] [--stages]

Generates the synthetic region (not timed) unless ``--region`` names one, then times
ingest of every extract file and ``link`` (normalise, tokenise, Splink, cluster, spine,
report) in a fresh data root, and measures pairwise F1 against the region's truth.
Prints one line. Peak memory is the process's maximum resident set size (DuckDB runs in
the process, so it includes DuckDB's memory, which its ``memory_limit`` caps).

``--stages`` also prints a breakdown: for each stage its wall-clock seconds, the peak
resident set size seen while it ran (sampled every 50 ms, so DuckDB's own memory is
included) and the resident set size when it ended. Stages are measured by wrapping the
pipeline's functions; nothing else changes.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psutil

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.linkage.schemas import providers
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings

GIB = 1024**3


class Stages:
    """Wall-clock time and peak RSS per named stage, from a 50 ms RSS sampler thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.rows: list[tuple[str, float, float, float]] = []
        self._peak = 0
        self._depth = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self._peak = max(self._peak, self.process.memory_info().rss)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._depth:  # nested call of a wrapped function: counted in the outer stage
            yield
            return
        self._depth += 1
        self._peak = self.process.memory_info().rss
        started = time.perf_counter()
        try:
            yield
        finally:
            self._depth -= 1
            rss = self.process.memory_info().rss
            self._peak = max(self._peak, rss)
            self.rows.append((name, time.perf_counter() - started, self._peak / GIB, rss / GIB))

    def wrap(self, owner: Any, attribute: str, name: str) -> None:
        original: Callable[..., Any] | None = getattr(owner, attribute, None)
        if original is None:  # a renamed step would otherwise vanish from the breakdown
            raise AttributeError(f"{owner.__name__} has no {attribute} to time")

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, wrapped)

    def print(self) -> None:
        self._stop.set()
        print(f"{'stage':<34}{'seconds':>9}{'peak RSS GiB':>14}{'RSS after':>11}")
        merged: dict[str, list[float]] = {}
        for name, seconds, peak, after in self.rows:
            row = merged.setdefault(name, [0.0, 0.0, 0.0])
            row[0] += seconds
            row[1] = max(row[1], peak)
            row[2] = after
        for name, (seconds, peak, after) in merged.items():
            print(f"{name:<34}{seconds:>9.1f}{peak:>14.2f}{after:>11.2f}")


def instrument(stages: Stages) -> None:
    """Wrap the link pipeline's steps (link.py's names and the engine's) with stages."""
    from splink.internals.linker_components.inference import LinkerInference

    from nightingale.linkage import backend, engine, link

    stages.wrap(link, "_load", "load + normalise identifiers")
    stages.wrap(link, "_read_identifiers", "load identifiers")
    stages.wrap(link, "_normalised", "normalised frame")
    stages.wrap(link, "match_keys", "match keys (tokens)")
    stages.wrap(link, "_spine", "spine (persons in record order)")
    stages.wrap(link, "_record_columns", "subgroup columns")
    stages.wrap(engine, "register_sources", "register inputs")
    stages.wrap(engine, "affordable", "count blocking pairs")
    stages.wrap(engine, "full_counts", "training counts (u sample, prior, EM blocks)")
    stages.wrap(engine, "train", "fit the model (u, prior, EM)")
    stages.wrap(LinkerInference, "predict", "Splink predict")
    stages.wrap(backend.DuckDBBackend, "read_pairs", "read scored pairs")
    stages.wrap(backend.DuckDBBackend, "release_working_tables", "release DuckDB tables")
    stages.wrap(engine, "cluster", "cluster (links, persons)")
    for name in ("truth_codes_of_keys", "_measure", "pairwise_metrics", "partner_recall"):
        stages.wrap(link, name, "truth evaluation")
    stages.wrap(link, "build_report", "quality report")
    stages.wrap(link, "write_spine", "write spine (beside the report)")
    stages.wrap(link, "write_report", "write report")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--region", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the data root")
    parser.add_argument("--stages", action="store_true", help="print a per-stage breakdown")
    parser.add_argument(
        "--duckdb-memory-limit",
        help="DuckDB's memory_limit for this run (default: the settings' default)",
    )
    args = parser.parse_args()
    stages = Stages() if args.stages else None
    if stages is not None:
        instrument(stages)
    work = Path(tempfile.mkdtemp(prefix="ng-scale-"))
    region = args.region
    if region is None:
        from nightingale.synth import SynthConfig, generate_region

        region = work / "region"
        generate_region(SynthConfig(people=args.people, seed=2026), region)
    from nightingale.synth.region import read_config

    people = read_config(region).people  # of the region linked, whichever made it
    overrides = (
        {"duckdb_memory_limit": args.duckdb_memory_limit} if args.duckdb_memory_limit else {}
    )
    settings = Settings(
        data_root=work / "var",
        database_url=f"sqlite:///{work}/var/nightingale.db",
        **overrides,  # type: ignore[arg-type]
    )
    initialise(settings)
    with open_unit(settings, "setup") as unit:  # a linkage officer and the agreements
        intake_ready(unit.session, unit.keystore)
    started = time.perf_counter()
    records = 0
    for name, spec in sorted(providers().items()):
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [
            region / "extracts" / name / n
            for n in names
            if (region / "extracts" / name / n).is_file()
        ]
        timed: AbstractContextManager[None] = (
            nullcontext() if stages is None else stages.stage(f"ingest {name}")
        )
        with timed, open_unit(settings, OFFICER) as unit:
            report = linkage.ingest(unit, name, files)
        records += report.files[0].rows_accepted
    ingested = time.perf_counter()
    with open_unit(settings, OFFICER) as unit:
        linkage.link(unit, truth=region / "truth" / "records.csv")
    linked = time.perf_counter()
    run = json.loads((settings.data_root / "linkage" / "spine" / "current.json").read_text())
    report = json.loads(
        (settings.data_root / "linkage" / "spine" / run["run_id"] / "report.json").read_text()
    )
    nan = float("nan")
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    measured = report["measured"]["all"] if report["measured"] else {"f1": float("nan")}
    worst = min(
        (
            row["partner_recall_gap"]
            for row in report["subgroups"]
            if row.get("partner_recall_gap") is not None
        ),
        default=float("nan"),
    )
    if stages is not None:
        stages.print()
        accounted = sum(s for n, s, _, _ in stages.rows if not n.startswith("ingest"))
        print(f"{'link, not in a stage above':<34}{linked - ingested - accounted:>9.1f}")
    print(
        f"linkage scale: {people:,} people, {records:,} people-file records; ingest "
        f"{ingested - started:.0f} s, link {linked - ingested:.0f} s, total "
        f"{linked - started:.0f} s; peak RSS {peak_gib:.2f} GiB; pairwise F1 {measured['f1']:.4f} "
        f"(P {measured.get('precision', nan):.4f}, R {measured.get('recall', nan):.4f}); "
        f"worst subgroup partner-recall gap {worst * 100:+.2f} points; DuckDB memory_limit "
        f"{settings.duckdb_memory_limit}, threads {settings.duckdb_threads}"
    )
    if args.keep:
        print(f"kept {settings.data_root / 'linkage' / 'spine' / run['run_id']}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
