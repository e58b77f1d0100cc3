"""The agreements at work: ingest refuses an extract no current agreement covers, and a
request is approved and built only for tables an agreement covers for the project's
purpose (checked at approval and again at build). Each refusal is audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.governance import agreements, audit
from nightingale.governance.errors import NotFound, PermissionDenied
from nightingale.operations import decisions, linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, visible_entries
from tests.linkage.conftest import FILES
from tests.linkage.region import write_region
from tests.operations.intake_world import build, pilot


def _refusals(settings: Settings, prefix: str) -> list[str]:
    with open_unit(settings, "reader") as unit:
        found = audit.entries(unit.session, action_prefix=prefix)
        return [audit.details_of(e)["reason"] for e in found]


def _extracts(settings: Settings) -> list[Path]:
    folder = settings.data_root / "demo-region" / "extracts" / "health"
    return [folder / name for name in FILES["health"]]


def _end(settings: Settings, reference: str) -> None:
    with open_unit(settings, "ada") as unit:
        agreements.end_agreement(
            unit.session, unit.keystore, by="ada", reference=reference, reason="lapsed"
        )


def test_ingest_without_a_current_agreement_is_refused_and_writes_nothing(
    settings: Settings,
) -> None:
    initialise(settings)
    write_region(settings.data_root / "demo-region")
    with open_unit(settings, "setup") as unit:
        intake_ready(unit.session, unit.keystore)
    _end(settings, "DSA-HEALTH-DEMO")
    refused = pytest.raises(PermissionDenied, match="no current data sharing agreement")
    with refused, open_unit(settings, OFFICER) as unit:
        linkage.ingest(unit, "health", _extracts(settings))
    root = DataRoot(settings.data_root)
    assert not (root.content / "health").exists() or not visible_entries(root.content / "health")
    [reason] = _refusals(settings, "dataset.ingest.refused")
    assert "with health covers admissions, gp_registrations" in reason
    with open_unit(settings, "ada") as unit:
        assert list(audit.entries(unit.session, action_prefix="dataset.ingested")) == []


def test_only_a_linkage_officer_ingests(settings: Settings) -> None:
    initialise(settings)
    write_region(settings.data_root / "demo-region")
    with open_unit(settings, "setup") as unit:
        intake_ready(unit.session, unit.keystore)
    refused = pytest.raises(PermissionDenied, match="dataset.ingest needs the role")
    with refused, open_unit(settings, "ada") as unit:
        linkage.ingest(unit, "health", _extracts(settings))
    # The machine's user is nobody on the platform: ingest from a shell needs --as.
    with pytest.raises(NotFound), open_unit(settings, "cli:root") as unit:
        linkage.ingest(unit, "health", _extracts(settings))
    assert len(_refusals(settings, "dataset.ingest.refused")) == 2


def test_an_approval_is_refused_for_a_table_no_agreement_covers(settings: Settings) -> None:
    request_id = pilot(settings, approve=False)
    _end(settings, "DSA-EMPLOYMENT-DEMO")
    refused = pytest.raises(PermissionDenied, match="employment.earnings: no current data")
    with refused, open_unit(settings, "sam") as unit:
        decisions.decide(unit, request_id, "approve", "reviewed")
    [reason] = _refusals(settings, "request.decide.refused")
    assert "for the purpose 'research' of project dfh-pilot" in reason


def test_a_build_is_refused_when_the_agreement_ended_after_approval(settings: Settings) -> None:
    request_id = pilot(settings)
    _end(settings, "DSA-HEALTH-DEMO")
    with pytest.raises(PermissionDenied, match="health.admissions: no current data"):
        build(settings, request_id)
    assert not visible_entries(DataRoot(settings.data_root).releases("dfh-pilot"))
    assert _refusals(settings, "request.build.refused")
