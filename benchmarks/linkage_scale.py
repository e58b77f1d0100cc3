"""End to end at scale: ingest all three providers, tokenise and link; time and memory.

    .venv/bin/python benchmarks/linkage_scale.py [--people 1000000] [--region DIR]

Generates the synthetic region (not timed) unless ``--region`` names one, then times
ingest of every extract file and ``link`` (normalise, tokenise, Splink, cluster, spine,
report) in a fresh data root, and measures pairwise F1 against the region's truth.
Prints one line. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from nightingale.cli.linkage import ingest_files, run_link
from nightingale.linkage.schemas import providers
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--region", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the data root")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ng-scale-"))
    region = args.region
    if region is None:
        from nightingale.platform.synth import SynthConfig, generate_region

        region = work / "region"
        generate_region(SynthConfig(people=args.people, seed=2026), region)
    settings = Settings(data_root=work / "var", database_url=f"sqlite:///{work}/var/nightingale.db")
    initialise(settings)
    (settings.data_root / "demo-region").symlink_to(region.resolve())
    started = time.perf_counter()
    records = 0
    for name, spec in sorted(providers().items()):
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [
            region / "extracts" / name / n
            for n in names
            if (region / "extracts" / name / n).is_file()
        ]
        report = ingest_files(settings, name, files)
        records += report.files[0].rows_accepted
    ingested = time.perf_counter()
    run_link(settings, None, None)
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
    print(
        f"linkage scale: {args.people:,} people, {records:,} people-file records; ingest "
        f"{ingested - started:.0f} s, link {linked - ingested:.0f} s, total "
        f"{linked - started:.0f} s; peak RSS {peak_gib:.2f} GiB; pairwise F1 {measured['f1']:.4f} "
        f"(P {measured.get('precision', nan):.4f}, R {measured.get('recall', nan):.4f}); "
        f"worst subgroup partner-recall gap {worst * 100:+.2f} points"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
