"""delivery lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 14:52:55.032647
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollout.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("expires_at", rollout.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("delivery_lease")
