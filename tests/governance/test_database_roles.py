"""PostgreSQL: the application's role appends to the audit log and can never rewrite it.

A throwaway server (tests/conftest.py) gets two fresh roles: an owner that creates the
database and runs the migrations, and an application role granted by
:func:`grant_application_role`. Everything the application does works as that role;
every way of rewriting the log, or of switching off what protects it, is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from nightingale.governance import approvals, audit, requests
from nightingale.governance.database_roles import grant_application_role
from nightingale.governance.requests import DatasetNeed
from nightingale.platform import database
from nightingale.platform.errors import ConfigurationError
from nightingale.platform.keystore import KeyStore
from tests.governance.conftest import READS, SPEC, Platform, add_cast

pytestmark = pytest.mark.postgres


@dataclass
class Roles:
    owner: Engine
    app: Engine
    app_role: str


@pytest.fixture
def roles(postgres_server: str) -> Iterator[Roles]:
    suffix = uuid.uuid4().hex[:10]
    owner_role, app_role, name = f"owner_{suffix}", f"app_{suffix}", f"roles_{suffix}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{owner_role}" LOGIN'))
        connection.execute(text(f'CREATE ROLE "{app_role}" LOGIN'))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner_role}"'))
    server = postgres_server.replace("postgres@", "{}@")
    owner = database.make_engine(f"{server.format(owner_role)}/{name}")
    app = database.make_engine(f"{server.format(app_role)}/{name}")
    try:
        database.upgrade(owner)
        grant_application_role(owner, app_role)
        yield Roles(owner, app, app_role)
    finally:
        owner.dispose()
        app.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{app_role}"'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{owner_role}"'))
        admin.dispose()


def test_the_application_role_runs_governance_and_appends_to_the_log(
    roles: Roles, keystore: KeyStore
) -> None:
    app = Platform(roles.app, keystore)
    app.act(add_cast)
    with database.session_scope(roles.app) as session:
        result = audit.verify(session, keystore)
    assert result.ok and result.entries > 10
    assert database.is_up_to_date(roles.app)


def test_the_application_role_submits_and_approves_requests(
    roles: Roles, keystore: KeyStore
) -> None:
    app = Platform(roles.app, keystore)
    app.act(add_cast)
    request = app.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=[DatasetNeed("housing", "exposure")],
    )
    app.act(requests.submit_request, by="rita", request_id=request.id, reads=READS)
    assert app.act(approvals.approve, request.id, "sam", "fine").status == "approved"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log WHERE seq > 1",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DROP TRIGGER audit_log_no_update_delete ON audit_log",
        "DROP TABLE audit_log",
        "DELETE FROM audit_chain_head",
        "INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (2, 0, 'x')",
        "UPDATE alembic_version SET version_num = 'g0001' WHERE version_num = 'g0002'",
        "UPDATE gov_request_rounds SET spec_sha256 = 'x'",
        "DELETE FROM gov_round_datasets",
    ],
)
def test_the_application_role_cannot_rewrite_the_log_or_unprotect_it(
    roles: Roles, keystore: KeyStore, statement: str
) -> None:
    Platform(roles.app, keystore).act(add_cast)
    refused = pytest.raises(DBAPIError, match="permission denied|must be owner")
    with refused, roles.app.begin() as connection:
        connection.execute(text(statement))
    with database.session_scope(roles.app) as session:
        assert audit.verify(session, keystore).ok


def test_the_grants_refuse_the_owner_itself_and_unknown_roles(roles: Roles) -> None:
    owner_role = roles.owner.url.username
    assert owner_role is not None
    with pytest.raises(ConfigurationError, match="run this as the owner"):
        grant_application_role(roles.owner, owner_role)
    with pytest.raises(ConfigurationError, match="there is no role"):
        grant_application_role(roles.owner, "nobody_here")
    with pytest.raises(ConfigurationError, match="not a usable role name"):
        grant_application_role(roles.owner, 'x"; DROP TABLE audit_log; --')
