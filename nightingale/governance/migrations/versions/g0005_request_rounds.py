"""Governance: submission rounds bind what was approved; lowering a classification needs two.

Revision ID: g0005
Revises: g0004
Create Date: 2026-12-09

``gov_request_rounds`` keeps, for each submission of a request, the SHA-256 of its spec
and (``gov_round_datasets``) every dataset the request names or its spec reads, with the
classification in force at submission: approvals are counted and builds checked against
the round, not against the request's current text or today's classifications.
``gov_dataset_downgrades`` holds proposals to lower a classification, which take effect
only when a second person confirms them.

Requests already submitted get their current round back-filled from what the tables say
now (the spec hash, the datasets the request names, their classification today); which
datasets the spec reads was not recorded before, so ``read_by_spec`` is false for them.
The builder still checks what the spec reads against the round's datasets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0005"
down_revision: str | Sequence[str] | None = "g0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gov_request_rounds",
        sa.Column("request_id", sa.Integer, sa.ForeignKey("gov_requests.id"), primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True),
        sa.Column("spec_sha256", sa.String(64), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
    )
    op.create_table(
        "gov_round_datasets",
        sa.Column("request_id", sa.Integer, primary_key=True),
        sa.Column("round", sa.Integer, primary_key=True),
        sa.Column(
            "dataset_name", sa.String(64), sa.ForeignKey("gov_datasets.name"), primary_key=True
        ),
        sa.Column("classification", sa.String(32), nullable=False),
        sa.Column("justification", sa.Text),
        sa.Column("read_by_spec", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id", "round"], ["gov_request_rounds.request_id", "gov_request_rounds.round"]
        ),
    )
    op.create_table(
        "gov_dataset_downgrades",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dataset_name", sa.String(64), sa.ForeignKey("gov_datasets.name"), nullable=False
        ),
        sa.Column("from_classification", sa.String(32), nullable=False),
        sa.Column("to_classification", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("confirmed_by_id", sa.Integer, sa.ForeignKey("gov_people.id")),
        sa.Column("confirmed_at", TS),
    )
    op.execute(
        "INSERT INTO gov_request_rounds (request_id, round, spec_sha256, submitted_at) "
        "SELECT id, round, spec_sha256, updated_at FROM gov_requests WHERE round > 0"
    )
    op.execute(
        sa.text(
            "INSERT INTO gov_round_datasets "
            "(request_id, round, dataset_name, classification, justification, read_by_spec) "
            "SELECT r.id, r.round, d.name, d.classification, n.justification, :unknown "
            "FROM gov_requests r "
            "JOIN gov_request_datasets n ON n.request_id = r.id "
            "JOIN gov_datasets d ON d.name = n.dataset_name "
            "WHERE r.round > 0"
        ).bindparams(unknown=False)
    )


def downgrade() -> None:
    op.drop_table("gov_dataset_downgrades")
    op.drop_table("gov_round_datasets")
    op.drop_table("gov_request_rounds")
