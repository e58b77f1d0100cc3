"""The demo's refresh stage: the providers' next extracts, linked incrementally, rebuilt.

Providers send a new extract every few months; the homes pilot is followed for years.
This stage shows what a refresh does to a project: the synthetic region's next extract
(six more months, with births, deaths, moves, marriages, corrections and withdrawals),
ingested as new versions by the linkage officer, linked incrementally (persons keep their
ids; merges and splits are lineage), and the pilot's release built again on the new
spine with the project's pinned pseudonym key, so the same people keep the same ``pid``
and the new release says which release it extends.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console

from nightingale.cli.cohorts import DEMO_BUILDER, _report
from nightingale.cli.demo import DemoRun
from nightingale.cli.governance_demo import OFFICER
from nightingale.cli.linkage import DEMO_FOLDER, _ingest, _link
from nightingale.platform.errors import NightingaleError

console = Console(highlight=False)

REFRESH_FOLDER = "demo-region-refresh-1"
REFRESH_MONTHS = 6
PROJECT = "dfh-pilot"


def _refreshed_region(data_root: Path) -> Path:
    """The demo region's next extract (written once; later demos reuse it)."""
    from nightingale.synth import is_complete
    from nightingale.synth.refresh import write_refresh

    previous, target = data_root / DEMO_FOLDER, data_root / REFRESH_FOLDER
    if not is_complete(previous):
        raise NightingaleError(f"{previous}: no demo region (stage 30 writes it)")
    if is_complete(target):
        console.print(f"refreshed region already complete at {target}")
        return target
    summary = write_refresh(previous, REFRESH_MONTHS, target, replace=target.exists())
    changes = ", ".join(f"{count:,} {kind}" for kind, count in sorted(summary.changes.items()))
    console.print(
        f"next extract of every provider ({REFRESH_MONTHS} months on, to "
        f"{summary.extract_date}) at {target}: {changes}"
    )
    return target


def _pids(data_root: Path, location: str) -> set[str]:
    persons = pd.read_parquet(data_root / location / "persons.parquet", columns=["pid"])
    return set(persons["pid"])


def _demo_refresh(run: DemoRun) -> None:
    from nightingale.cli.governance import governance_unit
    from nightingale.governance import releases, requests
    from nightingale.linkage.schemas import providers
    from nightingale.operations import cohorts
    from nightingale.platform.contracts import current_spine_run, read_manifest
    from nightingale.platform.storage import DataRoot

    settings = run.cli.settings
    region = _refreshed_region(settings.data_root)
    with governance_unit(settings) as work:
        built = releases.list_releases(work.session, PROJECT)
        pilot = requests.list_requests(work.session, project=PROJECT)
        if not built or not pilot:
            console.print(f"no release of {PROJECT} yet; nothing to refresh")
            return
        first, request_id = built[-1].location, pilot[-1].id
        spine_of_first = read_manifest(settings.data_root / first).spine_run_id
    for name, spec in sorted(providers(DataRoot(settings.data_root)).items()):
        names = [spec.people.name, *(event.name for event in spec.events)]
        files = [region / "extracts" / name / file_name for file_name in names]
        present = [f for f in files if f.is_file()]
        if present:
            _ingest(settings, name, present, OFFICER)
    if current_spine_run(DataRoot(settings.data_root)) != spine_of_first:
        console.print("the refreshed extracts are already linked and built; nothing to do")
        return
    _link(settings, region / "truth" / "records.csv", None, OFFICER)
    with governance_unit(settings, DEMO_BUILDER) as unit:
        release = cohorts.build_request(unit, request_id)
    _report(release)
    before = _pids(settings.data_root, first)
    after = _pids(settings.data_root, str(release.path.relative_to(settings.data_root)))
    console.print(
        f"   extends {release.manifest.extends}: {len(before & after):,} of its "
        f"{len(before):,} pids are in the refreshed release (same people, same pid), "
        f"{len(after - before):,} are new"
    )


DEMO_STAGES = [(115, "refresh", _demo_refresh)]
