"""Clerical review decisions on the sampled pairs of a link run.

Revision ID: g0009
Revises: g0006
Create Date: 2026-12-02

``gov_review_decisions`` holds one row per decision a linkage steward takes on a pair of
a link run's clerical-review sample (match, non-match or unsure), with an optional note;
a revision is a new row pointing at the decision it replaces (``revises_id``), so the
history stays. Pairs are named by their random record ids, never by identifiers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0009"
down_revision: str | Sequence[str] | None = "g0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gov_review_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("pair_key", sa.String(300), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("revises_id", sa.Integer, sa.ForeignKey("gov_review_decisions.id")),
    )
    op.create_index("ix_gov_review_decisions_run", "gov_review_decisions", ["run_id", "pair_key"])


def downgrade() -> None:
    op.drop_index("ix_gov_review_decisions_run", "gov_review_decisions")
    op.drop_table("gov_review_decisions")
