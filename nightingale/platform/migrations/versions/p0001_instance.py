"""Platform base: the instance table that ties a database to its data root.

Revision ID: p0001
Revises:
Create Date: 2026-11-27

Every domain package's migration branch starts from this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("platform",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_instance",
        sa.Column("instance_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_root_format", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("platform_instance")
