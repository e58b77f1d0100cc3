"""The output gate: the release an output request was checked against, file-check outcomes,
and a steward's override of the k-anonymity target on a release.

Revision ID: g0006
Revises: g0005
Create Date: 2026-12-02

Outputs checked before the file check recorded a failing cell as ``fail``; the file check
calls that outcome ``block`` (a failing cell can no longer be approved with an override),
so those rows are renamed. Downgrading renames them back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0006"
down_revision: str | Sequence[str] | None = "g0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): SQLite does it in place, so rows that other
    # tables reference by foreign key are never copied.
    op.add_column("gov_output_requests", sa.Column("release_id", sa.String(64)))
    op.add_column("gov_releases", sa.Column("k_override_by", sa.String(64)))
    op.add_column("gov_releases", sa.Column("k_override_reason", sa.Text))
    op.execute("UPDATE gov_output_files SET outcome = 'block' WHERE outcome = 'fail'")


def downgrade() -> None:
    op.execute("UPDATE gov_output_files SET outcome = 'fail' WHERE outcome = 'block'")
    # DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): no table copy.
    op.drop_column("gov_releases", "k_override_reason")
    op.drop_column("gov_releases", "k_override_by")
    op.drop_column("gov_output_requests", "release_id")
