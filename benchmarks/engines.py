"""Benchmark: link and build the same region on DuckDB and on Spark local[2].

    .venv/bin/python benchmarks/engines.py [--people 1000000] [--region DIR]

Generates the synthetic region (not timed) unless ``--region`` names one, ingests it
once (not timed) into a data root, then for each engine runs ``nightingale link`` and
then builds the homes pilot's release, each in its own child process, with ``engine`` set
in the settings. Times come from the children (link, build); peak memory is the largest resident
set of the child's whole process tree (Python and, for Spark, its JVM), sampled with
psutil every 0.2 s, because Spark's JVM is a grandchild that ``RUSAGE_CHILDREN`` would
not see. Finally it compares the two spines as partitions of records and the two
releases row for row. Prints one line per engine and one comparison line.

The issue's figure is 1,000,000 people (about 6 minutes to generate); pass ``--people``
for a smaller region on a busy machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEC_PATH = Path(__file__).resolve().parents[1] / "nightingale/cohorts/examples/dfh_pilot.yaml"
ENGINES = ("duckdb", "spark")


def _settings(root: Path, engine: str) -> Any:
    from nightingale.platform.settings import Settings

    return Settings(data_root=root, database_url=f"sqlite:///{root}/nightingale.db", engine=engine)


def prepare(region: Path, root: Path) -> int:
    """Initialise a data root and ingest every extract of ``region``; people-file rows."""
    from nightingale.cli.governance_demo import OFFICER, intake_ready
    from nightingale.linkage.schemas import providers
    from nightingale.operations import linkage
    from nightingale.operations.unit import open_unit
    from nightingale.platform.bootstrap import initialise

    settings = _settings(root, "duckdb")
    initialise(settings)
    with open_unit(settings, "setup") as unit:  # a linkage officer and the agreements
        intake_ready(unit.session, unit.keystore)
    records = 0
    for name, spec in sorted(providers().items()):
        folder = region / "extracts" / name
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [folder / n for n in names if (folder / n).is_file()]
        with open_unit(settings, OFFICER) as unit:
            records += linkage.ingest(unit, name, files).files[0].rows_accepted
    return records


def run_stage(root: Path, engine: str, stage: str) -> dict[str, Any]:
    """Child process: ``link`` or ``build`` (the pilot's release) on ``engine``.

    The stages run in separate processes, as ``nightingale link`` and ``nightingale
    build`` do, so each Spark stage starts its own JVM with the whole driver memory.
    """
    from nightingale.cli.governance_demo import OFFICER
    from nightingale.cohorts.build import build_release, demographics_needed_by
    from nightingale.cohorts.engines import engine_for
    from nightingale.linkage.demographics import publish_demographics
    from nightingale.operations import linkage
    from nightingale.operations.unit import open_unit
    from nightingale.platform.bootstrap import keystore_for
    from nightingale.platform.storage import DataRoot

    settings = _settings(root, engine)
    started = time.perf_counter()
    if stage == "link":
        with open_unit(settings, OFFICER) as unit:
            summary = linkage.link(unit)
        return {"seconds": time.perf_counter() - started, "run_id": summary.run_id}
    # As `nightingale build` does, without governance: linkage publishes the
    # demographics the spec reads, cohorts builds.
    data_root, keystore, spec_text = DataRoot(root), keystore_for(settings), SPEC_PATH.read_text()
    versions = demographics_needed_by(data_root, spec_text)
    demographics = None if versions is None else publish_demographics(data_root, keystore, versions)
    with engine_for(settings) as adapter:
        release = build_release(
            data_root,
            keystore,
            adapter,
            spec_text=spec_text,
            project="dfh-pilot",
            request_id="bench",
            demographics=demographics,
            release_id=f"on-{engine}",
        )
    return {
        "seconds": time.perf_counter() - started,
        "release": str(release.path),
        "persons": release.manifest.rows.persons,
    }


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def _child(root: Path, engine: str, stage: str) -> tuple[dict[str, Any], float, int]:
    """Run :func:`run_stage` in a child; its result, wall time and the tree's peak RSS."""
    env = dict(os.environ)
    # local[2]: the driver is the executor. 4 GB (DuckDB's limit) was not enough for the
    # pilot's cohort queries on Spark at 20,000 people (UNABLE_TO_ACQUIRE_MEMORY); 6 GB is.
    env.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 6g pyspark-shell")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", engine, stage, "--root", str(root)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        process = psutil.Process(child.pid)
        while not done.is_set():
            try:
                peak = max(peak, _tree_rss(process))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = child.communicate()
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{engine} {stage} failed with exit code {child.returncode}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result, time.perf_counter() - started, peak


def measure(root: Path, engine: str) -> dict[str, Any]:
    """Link, then build, each in its own child; times and peak memory of both."""
    linked, link_wall, link_peak = _child(root, engine, "link")
    print(
        f"engines: {engine} link {linked['seconds']:.0f} s, peak {link_peak / 1024**3:.2f} GiB",
        flush=True,
    )
    built, build_wall, build_peak = _child(root, engine, "build")
    return {
        "run_id": linked["run_id"],
        "link_s": linked["seconds"],
        "build_s": built["seconds"],
        "wall_s": link_wall + build_wall,
        "link_peak_gib": link_peak / 1024**3,
        "build_peak_gib": build_peak / 1024**3,
        "release": built["release"],
        "persons": built["persons"],
    }


def _persons(root: Path, run_id: str) -> set[frozenset[tuple[str, str]]]:
    import pyarrow.parquet as pq

    spine = pq.read_table(root / "linkage" / "spine" / run_id / "spine.parquet").to_pandas()
    return {
        frozenset(zip(g["source"], g["record_id"], strict=True))
        for _p, g in spine.groupby("person_id")
    }


def compare(root: Path, results: dict[str, dict[str, Any]]) -> str:
    """Whether the spines partition records alike and the releases hold the same rows."""
    import pyarrow.parquet as pq

    spines = [_persons(root, results[e]["run_id"]) for e in ENGINES]
    shared = len(spines[0] & spines[1])
    same_release = all(
        pq.read_table(Path(results["duckdb"]["release"]) / name).equals(
            pq.read_table(Path(results["spark"]["release"]) / name)
        )
        for name in ("persons.parquet", "panel.parquet")
    )
    return (
        f"persons identical on both engines: {shared:,} of {len(spines[0]):,} (DuckDB) / "
        f"{len(spines[1]):,} (Spark); spines equal: {spines[0] == spines[1]}; "
        f"releases identical: {same_release}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--region", type=Path, help="an existing synthetic region folder")
    parser.add_argument("--keep", action="store_true", help="keep the data root")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "STAGE"), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_stage(args.root, *args.child)))
        return
    work = Path(tempfile.mkdtemp(prefix="ng-engines-"))
    region = args.region
    if region is None:
        from nightingale.synth import SynthConfig, generate_region

        region = work / "region"
        generate_region(SynthConfig(people=args.people, seed=2026), region)
    root = work / "var"
    records = prepare(region, root)
    results = {engine: measure(root, engine) for engine in ENGINES}
    for engine, r in results.items():
        print(
            f"engines: {engine:6} {records:,} people-file records ({args.people:,} people): "
            f"link {r['link_s']:.0f} s, build {r['build_s']:.0f} s, wall {r['wall_s']:.0f} s "
            f"(with start-up); peak RSS of the process tree: link {r['link_peak_gib']:.2f} GiB, "
            f"build {r['build_peak_gib']:.2f} GiB; "
            f"{r['persons']:,} cohort members"
        )
    print(f"engines: {compare(root, results)}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
