"""Alembic revisions, applied in order by rollout.db.migrate."""
