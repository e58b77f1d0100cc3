"""Synthetic region speed and memory: people per second and peak memory at 100,000 people.

Generates a region of 100,000 people (seed 2026, chunks of 50,000) into a temporary
folder and prints one line: people per second, wall time, peak resident memory of the
process (ru_maxrss) and the size written. Pass a number to measure another size, e.g.
``benchmarks/synth.py 1000000`` for the million-person claim.

    .venv/bin/python benchmarks/synth.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from nightingale.synth import SynthConfig, generate_region


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    config = SynthConfig(people=people, seed=2026)
    with tempfile.TemporaryDirectory(prefix="nightingale-synth-") as folder:
        out = Path(folder) / "region"
        started = time.perf_counter()
        summary = generate_region(config, out)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"synth: {people:,} people in {seconds:.1f} s = {people / seconds:,.0f} people/s; "
        f"peak memory {peak_mib:,.0f} MiB; {size / 2**20:,.0f} MiB written; "
        f"pilot {summary.treated:,} / comparison {summary.comparison:,}"
    )


if __name__ == "__main__":
    main()
