"""Benchmark: the audit chain's append and verify rates on SQLite (one machine).

Appends entries in one transaction and one transaction per entry (how governance actions
write), then verifies the whole chain, and prints one result line. Governance decisions
are human-paced (a few per minute), so the claim is only that verification of a year's
log takes seconds, not that appends are fast.

    .venv/bin/python benchmarks/audit_chain.py [--entries 5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nightingale.governance import audit
from nightingale.platform import database
from nightingale.platform.keystore import MemoryKeyStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    args = parser.parse_args()
    keystore = MemoryKeyStore()
    keystore.ensure("audit")
    with tempfile.TemporaryDirectory() as folder:
        engine = database.make_engine(f"sqlite:///{folder}/audit.db")
        database.upgrade(engine)
        started = time.perf_counter()
        with database.session_scope(engine) as session:
            for number in range(args.entries):
                audit.record(
                    session,
                    keystore,
                    actor="bench",
                    action="bench.event",
                    object_type="thing",
                    object_id=str(number),
                    details={"n": number},
                )
        batch = args.entries / (time.perf_counter() - started)
        single_count = max(1, args.entries // 25)
        started = time.perf_counter()
        for number in range(single_count):
            with database.session_scope(engine) as session:
                audit.record(
                    session,
                    keystore,
                    actor="bench",
                    action="bench.event",
                    object_type="thing",
                    object_id=str(number),
                    details={},
                )
        single = single_count / (time.perf_counter() - started)
        started = time.perf_counter()
        with database.session_scope(engine) as session:
            result = audit.verify(session, keystore)
        verify_seconds = time.perf_counter() - started
        engine.dispose()
    assert result.ok
    print(
        f"audit chain (SQLite): append {batch:,.0f}/s in one transaction, {single:,.0f}/s one "
        f"transaction each; verify {result.entries:,} entries in {verify_seconds:.2f}s "
        f"({result.entries / verify_seconds:,.0f}/s)"
    )


if __name__ == "__main__":
    main()
