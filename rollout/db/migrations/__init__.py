"""Programme data files: Alembic migrations."""
