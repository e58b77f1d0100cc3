"""Governed intake and pseudonyms that last: agreements, retention, pinned keys, opt-outs.

Revision ID: g0008
Revises: g0006
Create Date: 2026-12-02

``gov_agreements`` holds data sharing agreements per provider (tables, purposes, legal
basis, start and expiry); ingest and builds are checked against them.
``gov_retention_rules`` says how long a provider's dataset versions and a project's
releases are kept. ``gov_project_keys`` pins the pseudonym key of a project at its first
release and records each re-key with its old->new pid map. ``gov_optout_loads`` records
each load of the national data opt-out list (counts and a checksum only).
``gov_projects.purpose_code`` is the kind of purpose agreements name (``research``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0008"
down_revision: str | Sequence[str] | None = "g0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "gov_projects",
        sa.Column("purpose_code", sa.String(32), nullable=False, server_default="research"),
    )
    op.create_table(
        "gov_agreements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False, unique=True),
        sa.Column("provider", sa.String(64), sa.ForeignKey("gov_datasets.name"), nullable=False),
        sa.Column("tables", sa.Text, nullable=False),
        sa.Column("purposes", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("ended_reason", sa.Text),
    )
    op.create_table(
        "gov_retention_rules",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("keep_days", sa.Integer, nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", TS, nullable=False),
    )
    op.create_table(
        "gov_project_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("gov_projects.id"), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("pinned_at", TS, nullable=False),
        sa.Column("pinned_by", sa.String(64), nullable=False),
        sa.Column("first_release", sa.String(64)),
        sa.Column("pid_map", sa.Text),
        sa.Column("pid_map_sha256", sa.String(64)),
        sa.Column("superseded_at", TS),
    )
    op.create_index("ix_gov_project_keys_project_id", "gov_project_keys", ["project_id"])
    op.create_table(
        "gov_optout_loads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(64), sa.ForeignKey("gov_datasets.name"), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("loaded_by", sa.String(64), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gov_optout_loads")
    op.drop_index("ix_gov_project_keys_project_id", "gov_project_keys")
    op.drop_table("gov_project_keys")
    op.drop_table("gov_retention_rules")
    op.drop_table("gov_agreements")
    op.drop_column("gov_projects", "purpose_code")
