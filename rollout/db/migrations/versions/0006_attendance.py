"""attendance: who came to each workshop, Teams report collection, unmatched attendees

Revision ID: 0006_attendance
Revises: 0005
Create Date: 2026-12-01 23:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollout.db.types

revision: str = "0006_attendance"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = rollout.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "contact_id"),
    )
    op.create_index(op.f("ix_attendance_workshop_id"), "attendance", ["workshop_id"], unique=False)
    op.create_index(op.f("ix_attendance_contact_id"), "attendance", ["contact_id"], unique=False)
    op.create_table(
        "attendance_collection",
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("meeting_id", sa.String(length=300), nullable=True),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", UTC(timezone=True), nullable=True),
        sa.Column("collected_at", UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("workshop_id"),
    )
    op.create_table(
        "unmatched_attendee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("seen_at", UTC(timezone=True), nullable=False),
        sa.Column("resolved_contact_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", UTC(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["resolved_contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "identity"),
    )
    op.create_index(op.f("ix_unmatched_attendee_workshop_id"), "unmatched_attendee", ["workshop_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unmatched_attendee_workshop_id"), table_name="unmatched_attendee")
    op.drop_table("unmatched_attendee")
    op.drop_table("attendance_collection")
    op.drop_index(op.f("ix_attendance_contact_id"), table_name="attendance")
    op.drop_index(op.f("ix_attendance_workshop_id"), table_name="attendance")
    op.drop_table("attendance")
