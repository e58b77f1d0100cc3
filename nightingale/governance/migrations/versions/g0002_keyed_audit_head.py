"""Governance: the audit chain's head row is keyed (HMAC under the audit key).

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-08

Without a key, someone with database access could delete the last entries and wind the
head row back to the entry before them, and the chain would still verify. The head now
carries ``head_mac`` (HMAC-SHA256 of its sequence number and hash under a key derived
from the audit key ``key_id``). A migration has no keys, so existing rows stay unkeyed
until the next audited action (or ``nightingale audit anchor``) keys them; until then
``nightingale audit verify`` says the head is not keyed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "g0002"
down_revision: str | Sequence[str] | None = "g0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_chain_head") as table:
        table.add_column(sa.Column("key_id", sa.String(32), nullable=True))
        table.add_column(sa.Column("head_mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_chain_head") as table:
        table.drop_column("head_mac")
        table.drop_column("key_id")
