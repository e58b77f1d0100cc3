"""Linkage: dataset versions and link runs.

Revision ID: l0001
Revises: p0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "l0001"
down_revision: str | Sequence[str] | None = "p0001"
branch_labels: str | Sequence[str] | None = ("linkage",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkage_dataset_version",
        sa.Column("version_id", sa.String(40), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_input", sa.Integer, nullable=False),
        sa.Column("rows_accepted", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "file_name", name="pk_linkage_dataset_version"),
    )
    op.create_index("ix_linkage_dataset_version_provider", "linkage_dataset_version", ["provider"])
    op.create_index("ix_linkage_dataset_version_sha256", "linkage_dataset_version", ["sha256"])
    op.create_table(
        "linkage_link_run",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parameters_path", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_linkage_link_run"),
    )


def downgrade() -> None:
    op.drop_table("linkage_link_run")
    op.drop_index("ix_linkage_dataset_version_sha256", "linkage_dataset_version")
    op.drop_index("ix_linkage_dataset_version_provider", "linkage_dataset_version")
    op.drop_table("linkage_dataset_version")
