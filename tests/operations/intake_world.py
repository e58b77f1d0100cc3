"""The hand-made pilot region with the demo cast, agreements and NHS numbers, for the
tests of governed intake, lasting pseudonyms, the opt-out and retention.

``pilot(settings)`` gives a data root holding the pilot region (content, sealed
identifiers with an NHS number per health record, spine), the demo cast (with lina, the
linkage officer), an agreement with each provider, and the pilot's request submitted and
approved by two stewards. Builds need a steward's k override: four people give k = 1.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from nightingale.cli import governance_demo
from nightingale.cli.plans import lodge_pilot_plan
from nightingale.cohorts.build import Release
from nightingale.governance import approvals
from nightingale.operations.cohorts import build_request
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.encryption import seal
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, atomic_write_bytes
from tests.cohorts import pilot_fixture
from tests.cohorts.conftest import write_region

NHS = {
    "g1": "4000000012",  # alice
    "g2": "4000000020",  # bob
    "g3": "4000000039",  # carol
    "g4": "4000000039",  # carol again (a second registration)
    "g5": "4000000047",  # erin
    "g6": "4000000055",  # fay
    "g7": "4000000063",  # gus
}
"""Each health record's NHS number (valid Modulus 11 check digits; synthetic)."""

TINY = "the hand-made region has four people: k is 1 by construction (test data)"


def seal_health_identifiers(root: DataRoot, keystore: KeyStore) -> None:
    """The health version's sealed identifiers, with an NHS number per record."""
    demographics = pilot_fixture.TABLES["linkage.demographics"]
    rows = [r for r in demographics.to_pylist() if r["source"] == "health"]
    identifiers = pa.table(
        {
            "record_id": pa.array([r["record_id"] for r in rows], pa.string()),
            "date_of_birth": pa.array([r["date_of_birth"] for r in rows], pa.date32()),
            "sex": pa.array([r["sex"] for r in rows], pa.string()),
            "nhs_number": pa.array([NHS[r["record_id"]] for r in rows], pa.string()),
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(identifiers, sink)
    sealed = seal(sink.getvalue().to_pybytes(), keystore, "identifiers/health")
    atomic_write_bytes(root.linkage / "identifiers" / "health" / "v1.bin", sealed)


def pilot(settings: Settings, *, approve: bool = True) -> int:
    """The world the module describes; the pilot request's id."""
    initialise(settings)
    root, keystore = DataRoot(settings.data_root), keystore_for(settings)
    write_region(root, keystore)
    seal_health_identifiers(root, keystore)
    with open_unit(settings, "rita") as unit:
        governance_demo.people_and_project(unit.session, unit.keystore, settings)
        request_id, status = governance_demo.linkage_request(unit)
        lodge_pilot_plan(unit)
    assert status == "submitted"
    if approve:
        for steward in ("sam", "sasha"):
            with open_unit(settings, steward) as unit:
                approvals.approve(unit.session, unit.keystore, request_id, steward, "reviewed")
    return request_id


def build(settings: Settings, request_id: int, by: str = "sam") -> Release:
    """Build the request's release as a steward off the project (with the k override)."""
    with open_unit(settings, by) as unit:
        return build_request(unit, request_id, k_override=TINY)


def pids(release: Release) -> tuple[set[str], set[str]]:
    """The pids in a release's persons and panel."""
    persons = pq.read_table(release.path / "persons.parquet", columns=["pid"])
    panel = pq.read_table(release.path / "panel.parquet", columns=["pid"])
    return set(persons["pid"].to_pylist()), set(panel["pid"].to_pylist())
