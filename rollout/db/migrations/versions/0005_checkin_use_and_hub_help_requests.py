"""check-in link uses and hub help requests

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-21 14:56:38.272950
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollout.db.types

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_use",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("used_at", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("transition", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.PrimaryKeyConstraint("token_id"),
    )
    op.create_index(op.f("ix_checkin_use_contact_id"), "checkin_use", ["contact_id"], unique=False)

    op.create_table(
        "hub_help_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("stage_since", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_at", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hub_id"],
            ["hub.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hub_id", "stage_since"),
    )
    op.create_index(op.f("ix_hub_help_request_hub_id"), "hub_help_request", ["hub_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hub_help_request_hub_id"), table_name="hub_help_request")

    op.drop_table("hub_help_request")
    op.drop_index(op.f("ix_checkin_use_contact_id"), table_name="checkin_use")

    op.drop_table("checkin_use")
