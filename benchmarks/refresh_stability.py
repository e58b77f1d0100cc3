"""Identity across provider refreshes: stable person ids and pids, quality, and speed.

    .venv/bin/python benchmarks/refresh_stability.py [--people 20000] [--months 6] [--repeat 3]

Synthesises a region and two refreshes of it (``nightingale synth --refresh-of``; not
timed). In one data root every version of every provider is ingested and linked
incrementally (the first link is necessarily full), and the homes pilot's release is
built after each link. In a second data root the same files are ingested and every link
is a full relink (``link --full``: retraining, every pair scored). Per refresh:

- ``stable_persons``: among true persons whose records are the same in both extracts
  (same provider keys), the share every one of whose records kept its person id;
- ``stable_pids``: the same for the pilot project's pseudonym, among those true persons
  in both releases (the project key is the same in both builds);
- ``f1`` (incremental) and ``full_f1`` (full relink), pairwise against the truth;
- ``incremental_s`` and ``full_s``: seconds of the ``link`` operation (normalise,
  tokenise, score, cluster, assign ids, report, measure), and their ratio. Each is the
  median of ``--repeat`` links, made in turn (incremental, full, incremental, ...) on
  copies of the two data roots, so that the machine's other work falls on both kinds
  alike; each turn's ratio follows in brackets.

Goals (issue 16): stable >= 0.999, f1 no lower than the full relink's, incremental at
least 3 times faster at 100,000 people. Prints one line.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.cohorts.build import build_release, demographics_needed_by
from nightingale.cohorts.catalogue import catalogue_for
from nightingale.cohorts.engines import engine_for
from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.linkage.demographics import publish_demographics
from nightingale.linkage.identifiers import keymap_context, keymap_path, read_sealed_table
from nightingale.linkage.link import LinkSummary
from nightingale.linkage.schemas import providers
from nightingale.linkage.tables import latest_version
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, read_parquet
from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.refresh import write_refresh

SPEC = Path(__file__).resolve().parents[1] / "nightingale/cohorts/examples/dfh_pilot.yaml"
PROJECT = "dfh-pilot"
ACTOR = OFFICER  # ingest and link are a linkage officer's


def _settings(folder: Path) -> Settings:
    settings = Settings(data_root=folder, database_url=f"sqlite:///{folder / 'nightingale.db'}")
    initialise(settings)
    with open_unit(settings, "setup") as unit:  # a linkage officer and the agreements
        intake_ready(unit.session, unit.keystore)
    return settings


def _ingest(settings: Settings, region: Path) -> None:
    root = DataRoot(settings.data_root)
    for name, spec in sorted(providers(root).items()):
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [region / "extracts" / name / n for n in names]
        present = [f for f in files if f.is_file()]
        if present:
            with open_unit(settings, ACTOR) as unit:
                linkage.ingest(unit, name, present)


def _link(settings: Settings, region: Path, full: bool) -> tuple[LinkSummary, float]:
    started = time.perf_counter()
    with open_unit(settings, ACTOR) as unit:
        summary = linkage.link(unit, truth=region / "truth" / "records.csv", full=full)
    return summary, time.perf_counter() - started


def _on_copy(settings: Settings, scratch: Path) -> Settings:
    """The same data root (keys, database and files) copied to ``scratch``."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(settings.data_root, scratch, symlinks=True)
    return Settings(data_root=scratch, database_url=f"sqlite:///{scratch / 'nightingale.db'}")


def _timed_links(
    roots: tuple[Settings, Settings], region: Path, repeat: int, scratch: Path
) -> tuple[LinkSummary, LinkSummary, list[float], list[float]]:
    """Link both roots (incremental, then full), ``repeat`` times in turn: all but the
    last on copies of the roots, the last in place. The machine's other work then
    touches both kinds alike, and the medians are reported."""
    seconds: tuple[list[float], list[float]] = ([], [])
    summaries: list[LinkSummary] = []
    for turn in range(repeat):
        last = turn == repeat - 1
        summaries = []
        for number, settings in enumerate(roots):
            target = settings if last else _on_copy(settings, scratch / f"copy-{number}")
            summary, took = _link(target, region, full=number == 1)
            summaries.append(summary)
            seconds[number].append(took)
        shutil.rmtree(scratch, ignore_errors=True)
    return summaries[0], summaries[1], seconds[0], seconds[1]


def _records(settings: Settings, region: Path, summary: LinkSummary) -> pd.DataFrame:
    """Per spine record: its provider key, true person and person id."""
    root = DataRoot(settings.data_root)
    keystore = keystore_for(settings)
    spine = read_parquet(summary.folder / "spine.parquet")
    maps = []
    with open_unit(settings, ACTOR) as unit:
        versions = {name: latest_version(unit.session, name) for name in summary.versions}
    for name, rows in versions.items():
        version = rows[0].version_id
        keymap = read_sealed_table(
            keymap_path(root, name, version), keystore, keymap_context(name)
        ).to_pandas()
        maps.append(keymap.assign(source=name))
    keyed = spine.merge(pd.concat(maps), on=["source", "record_id"])
    truth = pd.read_csv(region / "truth" / "records.csv", dtype=str, keep_default_na=False)
    truth = truth.rename(columns={"provider": "source", "person_id": "truth_person"})
    return keyed.merge(truth[["source", "local_key", "truth_person"]], on=["source", "local_key"])


def _membership(region: Path) -> pd.Series:
    truth = pd.read_csv(region / "truth" / "records.csv", dtype=str, keep_default_na=False)
    keys = truth["provider"] + "/" + truth["local_key"]
    return keys.groupby(truth["person_id"]).agg(lambda s: "|".join(sorted(s)))


def _stable_persons(
    before: pd.DataFrame, after: pd.DataFrame, regions: tuple[Path, Path]
) -> pd.DataFrame:
    """Per true person with the same records in both extracts (all on both spines):
    whether every record kept its person id (``same``), and its ids before and after
    (``id0``, ``id1``; None where the person's records carry more than one)."""
    old, new = _membership(regions[0]), _membership(regions[1])
    common = old.index.intersection(new.index)
    unchanged = common[(old[common] == new[common]).to_numpy()]
    joined = before.merge(after, on=["source", "local_key"], suffixes=("_0", "_1"))
    joined = joined[joined["truth_person_0"].isin(unchanged)]
    person = joined["truth_person_0"]
    grouped = joined.groupby(person)
    per = pd.DataFrame(
        {
            "records": grouped.size(),
            "same": (joined["person_id_0"] == joined["person_id_1"]).groupby(person).all(),
            "id0": grouped["person_id_0"].first().where(grouped["person_id_0"].nunique() == 1),
            "id1": grouped["person_id_1"].first().where(grouped["person_id_1"].nunique() == 1),
        }
    )
    sizes = old[unchanged].str.count(r"\|") + 1
    return per[per["records"] == sizes.reindex(per.index)]


def _release_pids(settings: Settings) -> set[str]:
    """Build the pilot's release on the spine in force; its pids."""
    root = DataRoot(settings.data_root)
    keystore = keystore_for(settings)
    spec_text = SPEC.read_text(encoding="utf-8")
    versions = demographics_needed_by(root, spec_text, str(SPEC))
    demographics = None if versions is None else publish_demographics(root, keystore, versions)
    engine = engine_for(settings)
    try:
        release = build_release(
            root,
            keystore,
            engine,
            spec_text=spec_text,
            project=PROJECT,
            request_id="benchmark",
            demographics=demographics,
            catalogue=catalogue_for(root),
            source=str(SPEC),
        )
    finally:
        engine.close()
    persons = read_parquet(release.path / "persons.parquet")
    return set(persons["pid"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed links per refresh and kind (median)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ng-refresh-") as scratch:
        work = Path(scratch)
        regions = [work / "region-0", work / "region-1", work / "region-2"]
        generate_region(SynthConfig(people=args.people, seed=args.seed), regions[0])
        for previous, nxt in itertools.pairwise(regions):
            write_refresh(previous, args.months, nxt)
        incremental, full = _settings(work / "incremental"), _settings(work / "full")
        pseudonymiser = Pseudonymiser(keystore_for(incremental), PROJECT)
        parts = [f"refresh_stability people={args.people} months={args.months}"]
        previous_records: pd.DataFrame | None = None
        previous_pids: set[str] = set()
        for number, region in enumerate(regions):
            _ingest(incremental, region)
            _ingest(full, region)
            if number == 0:  # the first link is necessarily full: timed once
                summary, seconds = _link(incremental, region, full=False)
                full_summary, full_seconds = _link(full, region, full=True)
            else:
                summary, full_summary, times, full_times = _timed_links(
                    (incremental, full), region, args.repeat, work / "scratch"
                )
                seconds, full_seconds = statistics.median(times), statistics.median(full_times)
                ratios = "/".join(f"{f / i:.1f}" for i, f in zip(times, full_times, strict=True))
            records = _records(incremental, region, summary)
            pids = _release_pids(incremental)
            if previous_records is not None:
                per = _stable_persons(previous_records, records, (regions[number - 1], region))
                stable = float(per["same"].mean())
                single = per.dropna(subset=["id0", "id1"])
                pid0 = single["id0"].map(pseudonymiser.pid)
                pid1 = single["id1"].map(pseudonymiser.pid)
                in_both = pid0.isin(previous_pids) & (pid1.isin(pids) | pid0.isin(pids))
                stable_pids = float((pid0[in_both] == pid1[in_both]).mean())
                counts = summary.counts
                parts.append(
                    f"| r{number} stable_persons={stable:.4f} stable_pids={stable_pids:.4f} "
                    f"f1={summary.metrics['measured']['all']['f1']:.4f} "
                    f"full_f1={full_summary.metrics['measured']['all']['f1']:.4f} "
                    f"incremental_s={seconds:.1f} full_s={full_seconds:.1f} "
                    f"speedup={full_seconds / seconds:.1f}x ({ratios}) "
                    f"fresh={counts.get('records_fresh', 0)} "
                    f"rescored={counts.get('pairs_rescored', 0)} "
                    f"new={counts.get('persons_new', 0)} merged={counts.get('persons_merged', 0)} "
                    f"split={counts.get('persons_split', 0)} "
                    f"retired={counts.get('persons_retired', 0)}"
                    + ("" if summary.full_reason is None else f" FULL({summary.full_reason})")
                )
            else:
                parts.append(
                    f"| r0 f1={summary.metrics['measured']['all']['f1']:.4f} link_s={seconds:.1f}"
                )
            previous_records, previous_pids = records, pids
        print(" ".join(parts), flush=True)


if __name__ == "__main__":
    main()
