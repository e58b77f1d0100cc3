"""Governance: analysis plans lodged with governance before outcomes are released.

Revision ID: g0004
Revises: g0003
Create Date: 2026-12-10

``gov_analysis_plans`` holds every version of every project's analysis plan: the plan
as lodged (revision 0) and each amendment (1, 2, ...) with its reason, text, SHA-256,
who lodged it and when. Rows are only ever added (the application role may not update
or delete them); the audit chain holds ``plan.lodged`` / ``plan.amended`` for each.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0004"
down_revision: str | Sequence[str] | None = "g0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gov_analysis_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("gov_projects.id"), nullable=False),
        sa.Column("plan_name", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("plan_version", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("lodged_by_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_id", "plan_name", "revision"),
    )


def downgrade() -> None:
    op.drop_table("gov_analysis_plans")
