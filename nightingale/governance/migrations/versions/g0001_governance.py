"""Governance: people, projects, datasets, requests, approvals, releases, airlock, audit.

Revision ID: g0001
Revises: p0001
Create Date: 2026-11-27

On PostgreSQL the audit log refuses UPDATE, DELETE and TRUNCATE with a trigger, so even a
bug or a careless operator with the application's credentials cannot rewrite history; the
keyed hash chain detects what a superuser could still do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0001"
down_revision: str | Sequence[str] | None = "p0001"
branch_labels: str | Sequence[str] | None = ("governance",)
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True)


def upgrade() -> None:
    op.create_table(
        "gov_people",
        _id(),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("accreditation_expires", sa.Date),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "gov_person_roles",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("gov_people.id"), primary_key=True),
        sa.Column("role", sa.String(32), primary_key=True),
    )
    op.create_table(
        "gov_projects",
        _id(),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("public_benefit", sa.Text, nullable=False),
        sa.Column("lawful_basis", sa.String(300), nullable=False),
        sa.Column("ethics_reference", sa.String(100), nullable=False),
        sa.Column("pi_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "gov_project_members",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("gov_projects.id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("gov_people.id"), primary_key=True),
    )
    op.create_table(
        "gov_datasets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("classification", sa.String(32), nullable=False),
    )
    op.create_table(
        "gov_requests",
        _id(),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("gov_projects.id"), nullable=False),
        sa.Column("requester_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("spec_text", sa.Text, nullable=False),
        sa.Column("spec_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "gov_request_datasets",
        sa.Column("request_id", sa.Integer, sa.ForeignKey("gov_requests.id"), primary_key=True),
        sa.Column(
            "dataset_name", sa.String(64), sa.ForeignKey("gov_datasets.name"), primary_key=True
        ),
        sa.Column("justification", sa.Text, nullable=False),
    )
    op.create_table(
        "gov_request_variables",
        _id(),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("gov_requests.id"), nullable=False),
        sa.Column(
            "dataset_name", sa.String(64), sa.ForeignKey("gov_datasets.name"), nullable=False
        ),
        sa.Column("variable", sa.String(128), nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.UniqueConstraint("request_id", "dataset_name", "variable"),
    )
    op.create_table(
        "gov_approvals",
        _id(),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("gov_requests.id"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("steward_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("decision", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.UniqueConstraint("request_id", "round", "steward_id"),
    )
    op.create_table(
        "gov_releases",
        sa.Column("release_id", sa.String(64), primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("gov_requests.id"), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("built_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("revoked_reason", sa.Text),
        sa.Column("deleted_at", TS),
    )
    op.create_table(
        "gov_output_requests",
        _id(),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("gov_projects.id"), nullable=False),
        sa.Column("submitter_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "gov_output_files",
        _id(),
        sa.Column("output_id", sa.Integer, sa.ForeignKey("gov_output_requests.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("checks_json", sa.Text, nullable=False),
        sa.UniqueConstraint("output_id", "name"),
    )
    op.create_table(
        "gov_output_decisions",
        _id(),
        sa.Column("output_id", sa.Integer, sa.ForeignKey("gov_output_requests.id"), nullable=False),
        sa.Column("checker_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_table(
        "gov_published_results",
        sa.Column("result_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("evaluator_id", sa.Integer, sa.ForeignKey("gov_people.id"), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "gov_published_sources",
        sa.Column(
            "result_id",
            sa.String(64),
            sa.ForeignKey("gov_published_results.result_id"),
            primary_key=True,
        ),
        sa.Column(
            "output_id", sa.Integer, sa.ForeignKey("gov_output_requests.id"), primary_key=True
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(128), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in (
        "audit_chain_head",
        "audit_log",
        "gov_published_sources",
        "gov_published_results",
        "gov_output_decisions",
        "gov_output_files",
        "gov_output_requests",
        "gov_releases",
        "gov_approvals",
        "gov_request_variables",
        "gov_request_datasets",
        "gov_requests",
        "gov_datasets",
        "gov_project_members",
        "gov_projects",
        "gov_person_roles",
        "gov_people",
    ):
        op.drop_table(table)
