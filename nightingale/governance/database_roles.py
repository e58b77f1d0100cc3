"""PostgreSQL: the application runs as a role that can append to the audit log, never rewrite it.

Two roles, two jobs:

- the **owner** runs ``nightingale init`` (the migrations). It owns every table, so it
  alone can alter them, and drop or disable the triggers that make ``audit_log``
  append-only;
- the **application** role is what the hub, the governance service and the CLI's daily
  commands connect as (``NIGHTINGALE_DATABASE_URL``). :func:`grant_application_role`,
  run by the owner after every upgrade, gives it reading and writing on the platform's
  tables but on ``audit_log`` only SELECT and INSERT, on ``audit_chain_head`` only
  SELECT and UPDATE (moving the head), on a request's submission rounds only SELECT and
  INSERT, and on ``alembic_version`` only SELECT. Not being
  the owner, it cannot ALTER, DROP or disable a trigger, or TRUNCATE.

So someone who takes over the application's credentials can add audit entries (keyed:
only valid with the audit key) but cannot remove or change one; what a superuser could
still do is caught by the keyed chain, the head file and external anchors.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect, text

from nightingale.platform.errors import ConfigurationError

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

#: Tables the application may read but must not change as it changes others.
RESTRICTED = {
    "audit_log": ("SELECT", "INSERT"),
    "audit_chain_head": ("SELECT", "UPDATE"),
    "gov_analysis_plans": ("SELECT", "INSERT"),
    "alembic_version": ("SELECT",),
    # A submission round, once recorded, is what stewards approved and builders are held
    # to (governance.rounds): the application only ever adds rounds.
    "gov_request_rounds": ("SELECT", "INSERT"),
    "gov_round_datasets": ("SELECT", "INSERT"),
}
DEFAULT = ("SELECT", "INSERT", "UPDATE", "DELETE")

__all__ = ["RESTRICTED", "application_grants", "grant_application_role"]


def application_grants(engine: Engine, role: str) -> list[str]:
    """The statements that give ``role`` what the application needs and nothing more."""
    if not ROLE_NAME.match(role):
        raise ConfigurationError(
            f"{role!r} is not a usable role name (lower-case letters, digits, underscores)"
        )
    quote = engine.dialect.identifier_preparer.quote
    who = quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}",
    ]
    for table in sorted(inspect(engine).get_table_names(schema="public")):
        privileges = RESTRICTED.get(table, DEFAULT)
        statements.append(f"GRANT {', '.join(privileges)} ON TABLE {quote(table)} TO {who}")
    statements += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        # Tables a later migration adds get the ordinary rights; rerun after upgrading so
        # a new restricted table is restricted too.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {', '.join(DEFAULT)} ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {who}",
    ]
    return statements


def grant_application_role(engine: Engine, role: str) -> list[str]:
    """Run :func:`application_grants` as the connected owner; return what ran.

    Refuses on anything but PostgreSQL (SQLite has no roles: protect the file instead)
    and when ``role`` is the connected user itself (the owner must not be the app).
    """
    if engine.dialect.name != "postgresql":
        raise ConfigurationError(
            "database roles exist only on PostgreSQL; with SQLite the database file's "
            "permissions are the boundary"
        )
    statements = application_grants(engine, role)
    with engine.begin() as connection:
        current = connection.execute(text("SELECT current_user")).scalar_one()
        if current == role:
            raise ConfigurationError(
                f"connected as {role!r}: run this as the owner that ran the migrations, and "
                "give the application a different role"
            )
        exists = connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).scalar()
        if exists is None:
            raise ConfigurationError(
                f"there is no role {role!r}: create it first (CREATE ROLE {role} LOGIN "
                "PASSWORD '...'; see docs/operator.md)"
            )
        for statement in statements:
            connection.execute(text(statement))
    return statements
