"""Governance: analysis jobs, the files they produced, and the airlock files they became.

Revision ID: g0003
Revises: g0002
Create Date: 2026-12-09

``gov_jobs`` records each run of a project pipeline's action with its provenance (commit,
release, pipeline and plan hashes, input jobs); ``gov_job_outputs`` each declared file a
job produced with its sensitivity and checksum; ``gov_output_sources`` ties an airlock
request's file to the job output it was submitted from, so provenance reaches publication.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0003"
down_revision: str | Sequence[str] | None = "g0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gov_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("gov_projects.id"), nullable=False),
        sa.Column("requester_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("dirty", sa.Boolean, nullable=False),
        sa.Column("repository", sa.Text, nullable=False),
        sa.Column("pipeline_sha256", sa.String(64), nullable=False),
        sa.Column("plan_sha256", sa.String(64)),
        sa.Column("release_id", sa.String(64), sa.ForeignKey("gov_releases.release_id")),
        sa.Column("inputs_json", sa.Text, nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("exit_code", sa.Integer),
        sa.Column("reason", sa.Text),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
    )
    op.create_table(
        "gov_job_outputs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("gov_jobs.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.UniqueConstraint("job_id", "path"),
    )
    op.create_table(
        "gov_output_sources",
        sa.Column(
            "output_id",
            sa.Integer,
            sa.ForeignKey("gov_output_requests.id"),
            primary_key=True,
        ),
        sa.Column("file_name", sa.String(255), primary_key=True),
        sa.Column("job_output_id", sa.Integer, sa.ForeignKey("gov_job_outputs.id"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gov_output_sources")
    op.drop_table("gov_job_outputs")
    op.drop_table("gov_jobs")
