"""The hostile-input corpus' fixtures: a database with partners in it, and a fingerprint of every table."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select

from tests.conftest import SAMPLE_PARTNERS


def fingerprint(engine: Engine) -> tuple[dict[str, int], str]:
    """Row counts per table and a checksum of every row of every table (the Alembic version included)."""
    metadata = MetaData()
    metadata.reflect(engine)
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            counts[table.name] = len(rows)
            digest.update(table.name.encode())
            for row in rows:
                digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


@pytest.fixture
def hostile_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: a user name, no Graph or check-in settings, no --debug."""
    monkeypatch.setenv("USER", "corpus-tester")
    for name in (
        "ROLLOUT_DEBUG",
        "ROLLOUT_GRAPH_URL",
        "ROLLOUT_PUBLIC_URL",
        "ROLLOUT_CHECKIN_SECRET",
        "ROLLOUT_CHECKIN_SECRET_BLOCK",
        "ROLLOUT_ALLOW_INSECURE_LINKS",
        "ROLLOUT_CHECKIN_TOKEN_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    return data_dir


@pytest.fixture
def seeded(hostile_env: Path, run_cli: Callable[..., object], engine: Engine) -> Engine:
    """The sample partners imported, so there is something a bad command could damage."""
    result = run_cli("partners", "import", str(SAMPLE_PARTNERS))
    assert getattr(result, "exit_code", None) == 0, result
    return engine
