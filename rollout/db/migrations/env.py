"""Alembic environment: runs against the engine handed over in config.attributes (see rollout.db.migrate)."""

from __future__ import annotations

from alembic import context

from rollout.db.models import Base
from rollout.db.session import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
