"""Governance: pending project members and a login throttle that outlives the hub.

Revision ID: g0007
Revises: g0006
Create Date: 2026-12-02

``gov_project_members.status`` is ``active`` or ``pending``: a member a PI adds after
the project's approval waits for a steward (existing members stay active).
``gov_login_throttle`` counts failed logins per name and per source address (each kept
only as a keyed hash, never in clear), so throttling survives a restart of the hub and
is shared by every hub process on the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0007"
down_revision: str | Sequence[str] | None = "g0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # ADD COLUMN with a constant default: SQLite does it in place (no table copy).
    op.add_column(
        "gov_project_members",
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    )
    op.create_table(
        "gov_login_throttle",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", TS, nullable=False),
        sa.Column("blocked_until", TS),
    )


def downgrade() -> None:
    op.drop_table("gov_login_throttle")
    op.drop_column("gov_project_members", "status")
