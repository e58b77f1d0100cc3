"""The audit chain: every edit, deletion, insertion or reordering is caught, and named.

Tampering is simulated with raw SQL, as an attacker with database access would do it (on
PostgreSQL the append-only trigger must be disabled first, which needs a superuser).
Tampering of each kind that is pure chain logic runs on SQLite only; edits, deletions and
reordering run on both databases, with the append-only refusal and concurrent writers on
PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from nightingale.governance import audit
from nightingale.governance.models import AuditChainHead
from nightingale.platform import database
from nightingale.platform.keystore import KeyStore, MemoryKeyStore
from tests.governance.conftest import Platform


def write(platform: Platform, count: int, actor: str = "ada") -> None:
    with database.session_scope(platform.engine) as session:
        for number in range(count):
            audit.record(
                session,
                platform.keystore,
                actor=actor,
                action="test.event",
                object_type="thing",
                object_id=str(number),
                details={"n": number},
            )


def verify(platform: Platform, keystore: KeyStore | None = None) -> audit.VerifyResult:
    with database.session_scope(platform.engine) as session:
        return audit.verify(session, keystore or platform.keystore)


def tamper(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for statement in statements:
            connection.execute(text(statement))
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def test_an_untouched_chain_verifies(platform: Platform) -> None:
    write(platform, 5)
    result = verify(platform)
    assert (result.ok, result.entries, result.first_broken) == (True, 5, None)
    assert "intact: 5 entries" in result.describe()


def test_an_empty_chain_verifies(sqlite_platform: Platform) -> None:
    assert verify(sqlite_platform).ok


def test_an_edited_entry_is_named(platform: Platform) -> None:
    write(platform, 5)
    tamper(platform.engine, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    result = verify(platform)
    assert (result.ok, result.first_broken) == (False, 3)
    assert "edited" in str(result.problem)


def test_edited_details_are_caught(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 3)
    tamper(
        sqlite_platform.engine,
        "UPDATE audit_log SET details = replace(details, '1', '7') WHERE seq = 2",
    )
    assert verify(sqlite_platform).first_broken == 2


def test_a_deleted_entry_is_named(platform: Platform) -> None:
    write(platform, 5)
    tamper(platform.engine, "DELETE FROM audit_log WHERE seq = 2")
    result = verify(platform)
    assert (result.ok, result.first_broken) == (False, 2)
    assert "missing" in str(result.problem)


def test_a_deleted_tail_is_caught_by_the_head(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 5)
    tamper(sqlite_platform.engine, "DELETE FROM audit_log WHERE seq = 5")
    result = verify(sqlite_platform)
    assert (result.ok, result.first_broken) == (False, 5)


def test_a_cut_tail_with_the_head_wound_back_is_caught(platform: Platform) -> None:
    """Issue #20: delete the last entries and wind the head row back to the entry before
    them. An unkeyed head row then agreed with the log; the keyed one does not."""
    write(platform, 5)
    tamper(
        platform.engine,
        "DELETE FROM audit_log WHERE seq > 3",
        "UPDATE audit_chain_head SET last_seq = 3, "
        "last_hash = (SELECT entry_hash FROM audit_log WHERE seq = 3)",
    )
    result = verify(platform)
    assert (result.ok, result.entries) == (False, 3)
    assert "wound back" in result.describe()


def test_a_head_row_whose_key_was_cleared_is_not_trusted(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 3)
    tamper(
        sqlite_platform.engine,
        "DELETE FROM audit_log WHERE seq = 3",
        "UPDATE audit_chain_head SET last_seq = 2, head_mac = NULL, "
        "last_hash = (SELECT entry_hash FROM audit_log WHERE seq = 2)",
    )
    result = verify(sqlite_platform)
    assert (result.ok, result.head_unkeyed) == (False, True)
    assert "not keyed" in result.describe()


def test_the_head_row_is_keyed_with_the_audit_key(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 2)
    with database.session_scope(sqlite_platform.engine) as session:
        head = session.get(AuditChainHead, audit.HEAD_ID)
        assert head is not None and head.key_id == "audit-v1" and head.head_mac
    other = _other_keys()
    assert not verify(sqlite_platform, other).ok


def test_reordering_is_caught(platform: Platform) -> None:
    write(platform, 4)
    tamper(
        platform.engine,
        "UPDATE audit_log SET seq = 100 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 100",
    )
    assert verify(platform).first_broken == 2


def test_an_inserted_entry_copied_from_elsewhere_is_caught(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 3)
    tamper(
        sqlite_platform.engine,
        "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 2",
        "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000",
    )
    tamper(
        sqlite_platform.engine,
        "INSERT INTO audit_log (seq, recorded_at, actor, action, object_type, object_id, "
        "details, key_id, prev_hash, entry_hash) SELECT 2, recorded_at, actor, action, "
        "object_type, object_id, details, key_id, prev_hash, entry_hash FROM audit_log "
        "WHERE seq = 1",
    )
    assert verify(sqlite_platform).first_broken == 2


def test_a_chain_forged_without_the_key_is_caught(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 2)
    assert verify(sqlite_platform, _other_keys()).first_broken == 1


def _other_keys() -> KeyStore:
    other = MemoryKeyStore()
    other.ensure("audit")
    return other


def test_entries_survive_key_rotation(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 2)
    sqlite_platform.keystore.rotate("audit")
    write(sqlite_platform, 2)
    result = verify(sqlite_platform)
    assert (result.ok, result.entries) == (True, 4)


def test_an_entry_vanishes_with_its_callers_rollback(sqlite_platform: Platform) -> None:
    write(sqlite_platform, 1)
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
    write(sqlite_platform, 1)
    result = verify(sqlite_platform)
    assert (result.ok, result.entries) == (True, 2)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_postgresql_refuses_to_change_the_log(
    postgres_url: str, keystore: KeyStore, statement: str
) -> None:
    engine = database.make_engine(postgres_url)
    try:
        database.upgrade(engine)
        write(Platform(engine, keystore), 2)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
        assert verify(Platform(engine, keystore)).entries == 2
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_concurrent_writers_never_fork_the_chain(
    migrated_postgres_url: str, keystore: KeyStore
) -> None:
    postgres_url = migrated_postgres_url
    writers, each = 4, 10
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        engine = database.make_engine(postgres_url)
        try:
            barrier.wait()
            for _ in range(each):
                with database.session_scope(engine) as session:
                    audit.record(
                        session,
                        keystore,
                        actor=f"w{number}",
                        action="test.event",
                        object_type="thing",
                        object_id="x",
                        details={},
                    )
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = database.make_engine(postgres_url)
    try:
        result = verify(Platform(engine, keystore))
        assert (result.ok, result.entries) == (True, writers * each)
    finally:
        engine.dispose()


def test_concurrent_writers_on_sqlite_queue_up(sqlite_platform: Platform) -> None:
    """SQLite has one writer at a time: the head UPDATE waits (busy timeout), never forks."""
    url = str(sqlite_platform.engine.url)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        engine = database.make_engine(url)
        try:
            barrier.wait()
            for _ in range(5):
                with database.session_scope(engine) as session:
                    audit.record(
                        session,
                        sqlite_platform.keystore,
                        actor=f"w{number}",
                        action="test.event",
                        object_type="thing",
                        object_id="x",
                        details={},
                    )
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify(sqlite_platform)
    assert (result.ok, result.entries) == (True, 15)
