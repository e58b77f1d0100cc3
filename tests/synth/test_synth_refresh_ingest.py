"""A refreshed region's extracts pass the providers' ingest checks, as the first did.

Both extracts of each provider are ingested, one after the other, through the same
operation ``nightingale ingest`` runs: the refresh is a new version of every dataset, with
no row quarantined.
"""

from __future__ import annotations

import pytest

from nightingale.cli.governance_demo import intake_ready
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.refresh import RefreshRates, write_refresh


@pytest.mark.parametrize("provider", ["health", "housing", "employment"])
def test_refreshed_extracts_ingest_without_quarantine(
    tmp_path_factory: pytest.TempPathFactory, provider: str
) -> None:
    folder = tmp_path_factory.mktemp(f"ingest-{provider}")
    region = folder / "region"
    generate_region(SynthConfig(people=300, seed=5, chunk_size=150), region)
    busy = RefreshRates(births=0.5, name_changes=0.5, move_within_region=0.3, corrections=0.8)
    refreshed = write_refresh(region, 6, folder / "refreshed", rates=busy).path
    settings = Settings(
        data_root=folder / "var", database_url=f"sqlite:///{folder / 'var' / 'nightingale.db'}"
    )
    initialise(settings)
    with open_unit(settings, "setup") as unit:  # ingest is a linkage officer's, under agreements
        officer = intake_ready(unit.session, unit.keystore)
    versions = []
    for extract in (region, refreshed):
        with open_unit(settings, officer) as unit:
            files = sorted((extract / "extracts" / provider).glob("*.csv"))
            report = linkage.ingest(unit, provider, files)
        assert report.quarantined == 0, [(f.file_name, f.rows_quarantined) for f in report.files]
        assert report.accepted > 0
        versions.append(report.version_id)
    assert None not in versions and versions[0] != versions[1]
