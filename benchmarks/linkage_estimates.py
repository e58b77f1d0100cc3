"""Estimated against measured linkage quality: does the estimate without truth hold?

    .venv/bin/python benchmarks/linkage_estimates.py [--skip-100k] [--sets 20k,100k,febrl4]

For each set, links it, reads the estimate the run's report carries (made without
truth, :mod:`nightingale.linkage.estimates`) and measures precision and recall against
the truth, which only this script reads. Prints one line per set:

    set= measured_precision= estimated_precision= ci= measured_recall= estimated_recall= ci=

Sets: the synthetic region at 20,000 and 100,000 people (``nightingale link`` through
the operation, measured against ``truth/records.csv``) and FEBRL4 through
``link-files --one-record-per-person`` (measured against the ``rec-<n>`` entity ids).
The goal: each estimate within 1 point of the measured value, and its interval covering it.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from linkage_febrl import load, pair_scores

from nightingale.linkage.link_files import files_report, link_files, parse_mapping
from nightingale.linkage.schemas import providers
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings


def line(name: str, precision: float, recall: float, estimated: dict[str, Any]) -> str:
    def ci(key: str) -> str:
        low, high = estimated[f"{key}_ci"]
        return f"[{low:.4f},{high:.4f}]"

    return (
        f"set={name} measured_precision={precision:.4f} "
        f"estimated_precision={estimated['precision']:.4f} ci={ci('precision')} "
        f"measured_recall={recall:.4f} estimated_recall={estimated['recall']:.4f} "
        f"ci={ci('recall')}"
    )


def synthetic(people: int) -> str:
    from nightingale.synth import SynthConfig, generate_region

    work = Path(tempfile.mkdtemp(prefix="ng-estimates-"))
    try:
        region = work / "region"
        generate_region(SynthConfig(people=people, seed=2026), region)
        settings = Settings(data_root=work / "var", database_url=f"sqlite:///{work}/var/ng.db")
        initialise(settings)
        for name, spec in sorted(providers().items()):
            folder = region / "extracts" / name
            names = [spec.people.name, *(event.name for event in spec.events)]
            files = [folder / n for n in names if (folder / n).is_file()]
            with open_unit(settings, "benchmark") as unit:
                linkage.ingest(unit, name, files)
        with open_unit(settings, "benchmark") as unit:
            summary = linkage.link(unit, truth=region / "truth" / "records.csv")
        report = json.loads((summary.folder / "report.json").read_text())
        measured = report["measured"]["all"]
        label = f"synthetic-{people // 1000}k"
        return line(label, measured["precision"], measured["recall"], report["estimated"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def febrl4() -> str:
    a, b = load()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, frame in (("febrl4a.csv", a), ("febrl4b.csv", b)):
            path = Path(folder) / name
            frame.to_csv(path, index=False)
            paths.append(path)
        mapping = parse_mapping(
            [
                "given_name=given_name",
                "family_name=surname",
                "date_of_birth=date_of_birth",
                "postcode=postcode",
                "address=street_number",
                "address=address_1",
                "address=address_2",
                "address=suburb",
            ]
        )
        result = link_files(paths, "rec_id", mapping, date_format="%Y%m%d")
    report = files_report(result, one_per_person=True)
    precision, recall, _f1 = pair_scores(result.spine)
    return line("febrl4", precision, recall, report["estimated"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="20k,100k,febrl4")
    parser.add_argument("--skip-100k", action="store_true")
    args = parser.parse_args()
    logging.getLogger("splink").setLevel(logging.ERROR)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.skip_100k:
        sets = [s for s in sets if s != "100k"]
    for name in sets:
        if name == "febrl4":
            print(febrl4(), flush=True)
        else:
            print(synthetic(int(name.rstrip("k")) * 1000), flush=True)


if __name__ == "__main__":
    main()
