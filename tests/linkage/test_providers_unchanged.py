"""Moving the three providers' schemas from Python to YAML changed nothing ingest does.

The expected digests were recorded on main before the move, from the Python schemas:
the hand-made region with rows spoiled in every column (every rule fires), ingested with
deterministic record ids. Each digest covers a file's typed content table (schema and
values), its quarantine reasons and sealed rows, and the provider's identifier table and
key map. A deliberate change to a provider file changes these digests: record the new
ones in the same commit, and say why.

Re-recorded (issue #18, coded events): admissions gained diag_primary, diag_secondary
and proc_primary, tenancies gained bedroom_standard; the spoiler picks columns at random,
so those two files' content, reasons and quarantined rows changed. Identifiers and key
maps did not.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import nightingale.linkage.ingest as ingest_module
from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    keymap_context,
    keymap_path,
    read_sealed_table,
)
from nightingale.linkage.schemas import provider
from nightingale.platform import database
from tests.linkage.conftest import Platform

EXPECTED: dict[str, str] = {
    "employment/claimants.csv content": (
        "3bed5f182aa451849b38ad53fe6ebf4c812676c0fe9b95e9d002c8bf4caca9c4"
    ),
    "employment/claimants.csv reasons": (
        "239c371d4fc19e2d408b4639dbaa2827beabfffb58556c1e23191c8a7a3e6f99"
    ),
    "employment/claimants.csv quarantined rows": (
        "63935b1610fad00304632177cf933f3e435a764196b1c4fbeed44bb1246bb2fb"
    ),
    "employment/earnings.csv content": (
        "a46924161c0f025e715008345ef4df87d3a42c8241d0ca00d4b0df4cf3654733"
    ),
    "employment/earnings.csv reasons": (
        "581913cb78feb55494fe797dc04f3d787086f5d92e7a23081019bd87a21a2b65"
    ),
    "employment/earnings.csv quarantined rows": (
        "9797d5968969b768c3c879a6805092d79dc43dac3c079689d1d67bee2313439f"
    ),
    "employment identifiers": ("66385465bd5547a19ffa42677a609cdb477012d3f336dd29f2453a7f7dac85f3"),
    "employment key map": ("24562f4c56e1019aac1f74e66f1440601c13792dc3fe1efbcd4fc5c0b3edb07f"),
    "health/gp_registrations.csv content": (
        "7f02a27e9dc5e4b2dd9c88b5d7b4aad30ea818faf2ee9e56a936e6844059a579"
    ),
    "health/gp_registrations.csv reasons": (
        "fa8cc3a2ec9294c06debf65d23df0a1a147793fa8a701dc550f3ebd39bbacdc6"
    ),
    "health/gp_registrations.csv quarantined rows": (
        "b69098debdac5527b16ea6a962836290bb6275d4aa76b7f26ce7208e942cf5b3"
    ),
    "health/admissions.csv content": (
        "b70045ed2c358bf3841355d989b5bbe565bc887dc33329660f04ffeca899798d"
    ),
    "health/admissions.csv reasons": (
        "4011db0e3a55d2c0e67f697b900ca92b038403e083e1f89f10e10e269a70788b"
    ),
    "health/admissions.csv quarantined rows": (
        "1b207e6dd474cd21fefd461e155d73caac8815844c31d57eed17d32f2e62622f"
    ),
    "health identifiers": ("e4467eb8fdafac6a12328b6688cf9801f3b874286253253a95c4608d9aa82d6b"),
    "health key map": ("b0130f40f35e7296283988b371f60b335ac9fc7b8200fc99a69338fe6d37a9e4"),
    "housing/tenancies.csv content": (
        "0bcf41f569362994c0b9e9bdd771b7f7dd670920750ff25ba7fa9a6074ab60af"
    ),
    "housing/tenancies.csv reasons": (
        "f97c5928236c9e453d1644b54e3be4c9fb688bb83207af3d29af616383cf7556"
    ),
    "housing/tenancies.csv quarantined rows": (
        "10cd2e2210992dff27576d472760a13947a2395836864827855aff327478123a"
    ),
    "housing/property_reports.csv content": (
        "f3220c3b79248aad6d2047690507974c02a99aecae6891eb29d5181e6e46236c"
    ),
    "housing/property_reports.csv reasons": (
        "7e079d0b69a3bf366d8d74dbb321f03a243c23b4b8b328c08581c6b0b32bec81"
    ),
    "housing/property_reports.csv quarantined rows": (
        "122ef427150b5e73fa40ef786a643f8c79b4d1c8ffe21a53faa24d4e1008d40a"
    ),
    "housing identifiers": ("68861db488f9f3176151935d7a01cad77e86d49e21354c21480603ed15dabcd9"),
    "housing key map": ("bd2bf2c0b82c24b4e84f60ee7ba42fcd736a5e6a77b8c7e6f3035c7dc9195c4a"),
}


def _digest(table: pa.Table) -> str:
    text = json.dumps([str(table.schema), table.to_pylist()], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _spoil(folder: Path) -> None:
    """Spoil every 3rd row of each extract in one column, duplicate a row, cut one short."""
    chance = random.Random(7)
    for path in sorted(folder.rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            header, *body = list(csv.reader(handle))
        for row in body[::3]:
            row[chance.randrange(len(header))] = chance.choice(
                ["", "??x", "999", "-1", "2019-13-45", "1.5", "X1"]
            )
        if body:
            body += [list(body[-1]), body[0][:3]]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerows([header, *body])


def _ingest_digests(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    ids = itertools.count()
    versions = itertools.count(1)
    monkeypatch.setattr(ingest_module.secrets, "token_hex", lambda n=8: f"{next(ids):0{2 * n}x}")
    monkeypatch.setattr(ingest_module, "new_version_id", lambda: f"v{next(versions)}")
    _spoil(platform.region / "extracts")
    root, keystore = platform.root, platform.keystore
    found: dict[str, str] = {}
    for name in ("employment", "health", "housing"):
        spec = provider(name)
        folder = platform.region / "extracts" / name
        files = [folder / f for f in [spec.people.name, *(e.name for e in spec.events)]]
        with database.session_scope(platform.engine) as session:
            report = ingest_module.ingest(
                session, root, keystore, spec, [f for f in files if f.is_file()]
            )
        version = report.version_id
        assert version is not None
        for outcome in report.files:
            where = f"{name}/{outcome.file_name}"
            table = pq.read_table(root.content / name / version / f"{Path(where).stem}.parquet")
            found[f"{where} content"] = _digest(table)
            quarantined = root.quarantine / version / outcome.file_name
            reasons = Path(f"{quarantined}.reasons.csv")
            if reasons.exists():
                found[f"{where} reasons"] = hashlib.sha256(reasons.read_bytes()).hexdigest()
                rows = Path(f"{quarantined}.rows.bin")
                sealed = read_sealed_table(rows, keystore, f"quarantine/{name}")
                found[f"{where} quarantined rows"] = _digest(sealed)
        found[f"{name} identifiers"] = _digest(
            read_sealed_table(
                identifiers_path(root, name, version), keystore, identifier_context(name)
            )
        )
        found[f"{name} key map"] = _digest(
            read_sealed_table(keymap_path(root, name, version), keystore, keymap_context(name))
        )
    return found


def test_ingest_of_the_three_providers_is_what_it_was_before_the_move(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _ingest_digests(platform, monkeypatch) == EXPECTED
