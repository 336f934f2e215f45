"""escalation history: who acknowledged, snoozed or closed an escalation, and when

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollout.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=64), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("changed_at", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("escalation_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_change_escalation_id"), ["escalation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("escalation_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_change_escalation_id"))
    op.drop_table("escalation_change")
