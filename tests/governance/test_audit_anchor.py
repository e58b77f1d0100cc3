"""The audit head outside the database: a signed head file that follows every commit, and
anchors that catch a cut log even when the head row was put back as it once was.

The attacker here has the database (raw SQL, triggers disabled as a superuser would) but
not the audit key; the head file lives in a folder of the data root they cannot write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from nightingale.governance import audit
from nightingale.governance.audit_anchor import (
    AnchorError,
    HeadFile,
    SignedHead,
    compare,
    keep_head_file,
    read_anchor,
    sign,
    signature_ok,
    write_anchor,
)
from nightingale.platform import database
from tests.governance.conftest import Platform
from tests.governance.test_audit import tamper, write


@pytest.fixture
def kept(platform: Platform, tmp_path: Path) -> HeadFile:
    head_file = HeadFile.under(tmp_path / "var")
    keep_head_file(platform.engine, head_file)
    return head_file


def _compare(platform: Platform, signed: SignedHead, label: str = "head file") -> str | None:
    """None when ``signed`` agrees with the chain, else what disagrees."""
    with database.session_scope(platform.engine) as session:
        found = compare(session, platform.keystore, signed, label)
    return None if found.ok else found.message


def _head_row(engine: Engine) -> tuple[int, str, str, str]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT last_seq, last_hash, key_id, head_mac FROM audit_chain_head")
        ).one()
    return (row[0], row[1], row[2], row[3])


def _put_head_row_back(engine: Engine, saved: tuple[int, str, str, str], cut_after: int) -> None:
    seq, last_hash, key_id, mac = saved
    tamper(
        engine,
        f"DELETE FROM audit_log WHERE seq > {cut_after}",
        f"UPDATE audit_chain_head SET last_seq = {seq}, last_hash = '{last_hash}', "
        f"key_id = '{key_id}', head_mac = '{mac}'",
    )


def test_the_head_file_follows_every_commit(platform: Platform, kept: HeadFile) -> None:
    write(platform, 3)
    signed = kept.read()
    assert signed is not None and (signed.kind, signed.seq) == ("head-file", 3)
    assert signature_ok(platform.keystore, signed)
    assert _compare(platform, signed) is None
    assert kept.path.stat().st_mode & 0o777 == 0o600
    assert kept.path.parent.stat().st_mode & 0o777 == 0o700


def test_the_head_file_only_moves_forward(platform: Platform, kept: HeadFile) -> None:
    write(platform, 3)
    assert kept.advance(platform.keystore, 2, "0" * 64) is False
    assert kept.read().seq == 3  # type: ignore[union-attr]


def test_a_rolled_back_append_leaves_the_head_file_alone(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    kept = HeadFile.under(tmp_path / "var")
    keep_head_file(sqlite_platform.engine, kept)
    write(sqlite_platform, 2)
    with pytest.raises(RuntimeError), database.session_scope(sqlite_platform.engine) as session:
        audit.record(
            session,
            sqlite_platform.keystore,
            actor="ada",
            action="test.event",
            object_type="thing",
            object_id="x",
            details={},
        )
        raise RuntimeError("the action failed")
    assert kept.read().seq == 2  # type: ignore[union-attr]


def test_a_head_row_put_back_after_a_cut_is_caught_by_the_head_file(
    platform: Platform, kept: HeadFile
) -> None:
    """The database alone cannot tell: the head row is one the platform really keyed."""
    write(platform, 3)
    saved = _head_row(platform.engine)
    write(platform, 2)
    _put_head_row_back(platform.engine, saved, cut_after=3)
    with database.session_scope(platform.engine) as session:
        assert audit.verify(session, platform.keystore).ok  # what the database says
    signed = kept.read()
    assert signed is not None
    assert _compare(platform, signed) == (
        f"the head file names entry 5 but the log ends at entry 3: entries 4-5 were "
        f"removed after {signed.signed_at}"
    )


def test_later_appends_never_overwrite_the_evidence(platform: Platform, kept: HeadFile) -> None:
    write(platform, 3)
    saved = _head_row(platform.engine)
    write(platform, 2)
    _put_head_row_back(platform.engine, saved, cut_after=3)
    for _ in range(3):  # the log grows past the file's entry 5 again, with other entries
        write(platform, 1)
    signed = kept.read()
    assert signed is not None and signed.seq == 5
    problem = _compare(platform, signed)
    assert problem is not None and "entry 5 is not the entry the head file recorded" in problem


def test_an_edited_head_file_does_not_verify(sqlite_platform: Platform, tmp_path: Path) -> None:
    kept = HeadFile.under(tmp_path / "var")
    keep_head_file(sqlite_platform.engine, kept)
    write(sqlite_platform, 4)
    edited = json.loads(kept.path.read_text())
    edited["seq"] = 2
    kept.path.write_text(json.dumps(edited))
    signed = kept.read()
    assert signed is not None
    problem = _compare(sqlite_platform, signed)
    assert problem is not None and "signature does not verify" in problem


def test_an_anchor_is_written_read_back_and_checked(
    sqlite_platform: Platform, tmp_path: Path
) -> None:
    write(sqlite_platform, 2)
    with database.session_scope(sqlite_platform.engine) as session:
        head = audit.verify(session, sqlite_platform.keystore)
    anchor = sign(sqlite_platform.keystore, "anchor", 2, head.head_hash)
    path = tmp_path / "anchor.json"
    write_anchor(path, anchor)
    assert read_anchor(path) == anchor
    assert read_anchor(tmp_path / "missing.json") is None
    write(sqlite_platform, 1)
    with database.session_scope(sqlite_platform.engine) as session:
        found = compare(session, sqlite_platform.keystore, anchor, "anchor")
    assert (found.ok, found.behind) == (True, 1)
    as_head_file = SignedHead(**{**anchor.__dict__, "kind": "head-file"})
    assert not signature_ok(sqlite_platform.keystore, as_head_file)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "other"}', "not a Nightingale audit head"),
        ('{"format": "nightingale-audit-head/1", "kind": "anchor"}', "field 'seq' is missing"),
    ],
)
def test_a_malformed_anchor_is_refused_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "anchor.json"
    path.write_text(content)
    with pytest.raises(AnchorError, match=f"{path}: {message}"):
        read_anchor(path)
