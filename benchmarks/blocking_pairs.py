"""Benchmark: pairs each blocking rule compares, measured on synthetic regions of two sizes.

    .venv/bin/python benchmarks/blocking_pairs.py [--people 20000 100000] [--target 10000000]

For each size: generate the region (seeded), ingest its people files, derive the match
keys ``nightingale link`` derives, and count with Splink's own blocking analysis
(``count_comparisons_from_blocking_rules``, exact: ``record_sample_proportion=1.0``) the
marginal pairs each rule adds in the order ``link`` uses them. Every rule, the coarse
ones included, is counted whether or not ``link`` would afford it at that size.

The extrapolation assumes pairs grow as a power of the population: from the two sizes,
``b = log(p2 / p1) / log(n2 / n1)`` per rule, and ``p(target) = p2 * (target / n2) ** b``.
Prints one line per rule and the totals; docs/scaling.md uses the output.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def token_table(region: Path, root: Path):  # type: ignore[no-untyped-def]
    """The match-key table ``link`` would score for ``region`` (ingested into ``root``)."""
    from nightingale.cli.governance_demo import OFFICER, intake_ready
    from nightingale.linkage.link import _load
    from nightingale.linkage.matchkeys import match_keys
    from nightingale.linkage.schemas import providers
    from nightingale.linkage.tokens import Tokeniser
    from nightingale.operations import linkage
    from nightingale.operations.unit import open_unit
    from nightingale.platform import database
    from nightingale.platform.bootstrap import initialise, keystore_for
    from nightingale.platform.settings import Settings
    from nightingale.platform.storage import DataRoot

    settings = Settings(data_root=root, database_url=f"sqlite:///{root}/nightingale.db")
    initialise(settings)
    with open_unit(settings, "setup") as unit:  # a linkage officer and the agreements
        intake_ready(unit.session, unit.keystore)
    for name, spec in sorted(providers().items()):
        with open_unit(settings, OFFICER) as unit:
            linkage.ingest(unit, name, [region / "extracts" / name / spec.people.name])
    keystore = keystore_for(settings)
    engine = database.make_engine(settings.resolved_database_url)
    with database.session_scope(engine) as session:
        identifiers, _versions = _load(session, DataRoot(root), keystore)
    engine.dispose()
    tokeniser = Tokeniser.from_keystore(keystore)
    return match_keys(identifiers, tokeniser, identifiers["record_id"], identifiers["source"])


def count(table) -> tuple[int, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    """Records and the marginal pairs of every rule (specific, then coarse)."""
    import duckdb
    import pyarrow.compute as pc
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from nightingale.linkage import model
    from nightingale.linkage.engine import present_fields

    fields = present_fields(table)
    rules = model.blocking_rules_for(fields) + [
        model.equal(*columns) for columns in model.coarse_rules_for(fields)
    ]
    connection = duckdb.connect(config={"threads": 2, "memory_limit": "6GB"})
    api = DuckDBAPI(connection)
    sources = sorted(set(table.column("source_dataset").to_pylist()))
    inputs = [
        api.register(
            table.filter(pc.equal(table.column("source_dataset"), s)).drop_columns(
                ["source_dataset"]
            ),
            dataset_display_name=s,
        )
        for s in sources
    ]
    records = count_comparisons_from_blocking_rules(
        inputs, blocking_rules=rules, link_type="link_and_dedupe", record_sample_proportion=1.0
    )
    connection.close()
    return table.num_rows, [
        (rule, int(r["marginal_comparison_count"])) for rule, r in zip(rules, records, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, nargs=2, default=[20_000, 100_000])
    parser.add_argument("--target", type=int, default=10_000_000)
    args = parser.parse_args()
    from nightingale.synth import SynthConfig, generate_region

    work = Path(tempfile.mkdtemp(prefix="ng-pairs-"))
    measured = []
    try:
        for people in args.people:
            region = work / f"region-{people}"
            generate_region(SynthConfig(people=people, seed=2026), region)
            measured.append(count(token_table(region, work / f"var-{people}")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (n1, small), (n2, large) = measured
    p1, p2 = args.people
    print(f"blocking pairs: {p1:,} people = {n1:,} records; {p2:,} people = {n2:,} records")
    print(f"| rule | pairs at {p1:,} | pairs at {p2:,} | b | pairs at {args.target:,} |")
    print("| --- | ---: | ---: | ---: | ---: |")
    totals = [0, 0, 0.0]
    for (rule, a), (_same, b) in zip(small, large, strict=True):
        exponent = math.log(b / a) / math.log(p2 / p1) if a and b else float("nan")
        target = b * (args.target / p2) ** exponent if a and b else 0.0
        totals = [totals[0] + a, totals[1] + b, totals[2] + target]
        print(f"| `{rule}` | {a:,} | {b:,} | {exponent:.2f} | {target:,.0f} |")
    print(f"| total | {totals[0]:,} | {totals[1]:,} | | {totals[2]:,.0f} |")


if __name__ == "__main__":
    main()
