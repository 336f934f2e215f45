"""launch decisions: every answer to a launch's approval request (approved, rejected with who and why, timed out)

Revision ID: 0007_failures
Revises: 0006_attendance
Create Date: 2026-12-01 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollout.db.types

revision: str = "0007_failures"
down_revision: str | None = "0006_attendance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "launch_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_launch_decision_wave_id"), "launch_decision", ["wave_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_launch_decision_wave_id"), table_name="launch_decision")
    op.drop_table("launch_decision")
