"""personal data: opt-out and erasure on contacts, the erasure log

Revision ID: 0008_personal_data
Revises: 0007_failures
Create Date: 2026-12-01 23:59:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollout.db.types

revision: str = "0008_personal_data"
down_revision: str | None = "0007_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("mail_opted_out_at", rollout.db.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("keep_calendar", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("erased_at", rollout.db.types.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("erased_at", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("erasure")
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("keep_calendar")
        batch.drop_column("mail_opted_out_at")
