"""``audit verify`` as a whole: the chain, its keyed head, the head file, an external anchor
and the governance tables, each compared and named when they disagree.

Every change goes through units of work (as the CLI, the web service and notebooks make
them); every attack is raw SQL or a file operation on a real data root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from nightingale.governance import audit as chain
from nightingale.governance import people
from nightingale.governance.audit_anchor import HEAD_FILE, write_anchor
from nightingale.operations import audit
from nightingale.operations.unit import open_unit
from nightingale.platform import database
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    chosen = Settings(data_root=tmp_path / "var", database_url=database_url)
    initialise(chosen)
    return chosen


def _act(settings: Settings, count: int) -> None:
    for number in range(count):
        with open_unit(settings, "ada") as work:
            work.audit("test.event", "thing", str(number), {"n": number})


def _verify(settings: Settings, anchor: Path | None = None) -> audit.AuditReport:
    with open_unit(settings, "auditor") as work:
        return audit.verify(work, anchor)


def _lines(report: audit.AuditReport) -> list[str]:
    return [f"{'ok' if f.ok else 'FAIL'} {f.check}: {f.message}" for f in report.findings]


def _raw(settings: Settings, *statements: str) -> None:
    engine: Engine = database.make_engine(settings.resolved_database_url)
    try:
        with engine.begin() as connection:
            postgres = engine.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            for statement in statements:
                connection.execute(text(statement))
            if postgres:
                connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    finally:
        engine.dispose()


def _head_row(settings: Settings) -> str:
    """An UPDATE that puts today's head row back, as an attacker would save it."""
    engine = database.make_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            seq, last_hash, key_id, mac = connection.execute(
                text("SELECT last_seq, last_hash, key_id, head_mac FROM audit_chain_head")
            ).one()
    finally:
        engine.dispose()
    return (
        f"UPDATE audit_chain_head SET last_seq = {seq}, last_hash = '{last_hash}', "
        f"key_id = '{key_id}', head_mac = '{mac}'"
    )


def test_an_untouched_platform_passes_every_check(settings: Settings) -> None:
    _act(settings, 3)
    report = _verify(settings)
    assert report.ok, _lines(report)
    assert [f.check for f in report.findings] == ["chain", "head file", "tables"]
    assert (settings.data_root / HEAD_FILE).is_file()


def test_a_cut_tail_with_a_saved_head_row_put_back_fails_on_the_head_file(
    settings: Settings,
) -> None:
    """Issue #20: the database alone looks intact; the head file outside it does not."""
    _act(settings, 3)
    saved = _head_row(settings)
    _act(settings, 2)
    _raw(settings, "DELETE FROM audit_log WHERE seq > 3", saved)
    report = _verify(settings)
    assert not report.ok
    assert report.failures("chain") == []
    [failure] = report.failures("head file")
    assert "names entry 5 but the log ends at entry 3: entries 4-5 were removed" in failure.message


def test_a_cut_tail_with_the_head_wound_back_fails_on_the_chain(settings: Settings) -> None:
    _act(settings, 5)
    _raw(
        settings,
        "DELETE FROM audit_log WHERE seq > 3",
        "UPDATE audit_chain_head SET last_seq = 3, "
        "last_hash = (SELECT entry_hash FROM audit_log WHERE seq = 3)",
    )
    report = _verify(settings)
    assert [f.check for f in report.failures()] == ["chain", "head file"]


def test_an_external_anchor_catches_a_cut_even_with_an_old_head_file_put_back(
    settings: Settings, tmp_path: Path
) -> None:
    """Someone with the database and the data root can put back an old head file too; an
    anchor kept elsewhere still names the entries they removed."""
    _act(settings, 3)
    saved_row = _head_row(settings)
    saved_file = tmp_path / "head.json.saved"
    shutil.copy(settings.data_root / HEAD_FILE, saved_file)
    with open_unit(settings, "ada") as work:
        signed = audit.anchor(work)
    anchor = tmp_path / "elsewhere" / "anchor.json"
    write_anchor(anchor, signed)
    assert signed.seq == 4 and _verify(settings, anchor).ok
    _act(settings, 2)
    _raw(settings, "DELETE FROM audit_log WHERE seq > 3", saved_row)
    shutil.copy(saved_file, settings.data_root / HEAD_FILE)
    report = _verify(settings, anchor)
    assert [f.check for f in report.failures()] == ["anchor"]
    assert "names entry 4 but the log ends at entry 3" in report.failures()[0].message


def test_an_anchor_behind_the_log_is_fine(settings: Settings, tmp_path: Path) -> None:
    with open_unit(settings, "ada") as work:
        signed = audit.anchor(work)
    anchor = tmp_path / "anchor.json"
    write_anchor(anchor, signed)
    _act(settings, 2)
    report = _verify(settings, anchor)
    assert report.ok and "2 entries written since" in report.findings[2].message


def test_anchoring_a_cut_log_is_refused(settings: Settings) -> None:
    _act(settings, 3)
    saved = _head_row(settings)
    _act(settings, 1)
    _raw(settings, "DELETE FROM audit_log WHERE seq > 3", saved)
    refused = pytest.raises(audit.AnchorRefused, match="entry 4 was removed")
    with refused, open_unit(settings, "ada") as work:
        audit.anchor(work)


def test_a_data_root_from_before_the_keyed_head_is_keyed_by_an_anchor(
    settings: Settings,
) -> None:
    """After upgrading, the head row has no key and there is no head file yet: verify says
    so, and ``anchor`` (after checking the chain) keys the head and writes the file."""
    _act(settings, 2)
    _raw(settings, "UPDATE audit_chain_head SET key_id = NULL, head_mac = NULL")
    (settings.data_root / HEAD_FILE).unlink()
    report = _verify(settings)
    assert [f.check for f in report.failures()] == ["chain", "head file"]
    assert all(f.repairable for f in report.failures())
    with open_unit(settings, "ada") as work:
        audit.anchor(work)
    assert _verify(settings).ok


def test_a_lagging_head_file_is_a_warning_not_a_failure(settings: Settings) -> None:
    _act(settings, 1)
    # A process writing through an engine of its own, outside any unit, keeps no head file.
    engine = database.make_engine(settings.resolved_database_url)
    try:
        with database.session_scope(engine) as session:
            chain.record(
                session,
                keystore_for(settings),
                actor="cron",
                action="test.event",
                object_type="thing",
                object_id="x",
                details={},
            )
    finally:
        engine.dispose()
    report = _verify(settings)
    head = report.findings[1]
    assert report.ok and head.warning and "1 entry written since" in head.message


def test_a_row_changed_outside_the_application_fails_on_the_tables(settings: Settings) -> None:
    with open_unit(settings, "ada") as work:
        people.create_person(
            work.session,
            work.keystore,
            by=None,
            username="ada",
            display_name="Ada",
            roles=["administrator"],
        )
    _raw(
        settings,
        "INSERT INTO gov_person_roles (person_id, role) "
        "SELECT id, 'data_steward' FROM gov_people WHERE username = 'ada'",
    )
    report = _verify(settings)
    assert [f.message for f in report.failures()] == [
        "person ada: roles is [administrator, data_steward] in the table but [administrator] "
        "by the audit log"
    ]
