"""bench/reconcile_scale.py at a tiny scale, so the benchmark keeps working: its generator fills the session's database
backend (SQLite, or PostgreSQL with ROLLOUT_TEST_POSTGRES_URL), and its measurements run. No timing assertions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.reconcile_scale import (
    DEFAULT_AS_OF,
    Scale,
    build_programme,
    check,
    main,
    measure,
    populate,
    raw_scan,
)
from rollout.db import models
from rollout.db.session import make_engine, session_factory
from tests.backends import PostgresBackend, SqliteBackend

AS_OF = DEFAULT_AS_OF.astimezone(dt.UTC)
TINY = Scale(lcps=8, partners=80, hubs=12, actions=400)


def test_the_statement_count_does_not_grow_with_the_data(
    tmp_path: Path, database_backend: SqliteBackend | PostgresBackend
) -> None:
    measurements = []
    for n, fraction in enumerate((0.5, 1.0)):
        scale = TINY.times(fraction)
        programme = build_programme(scale.lcps)
        directory = tmp_path / f"scale-{n}"
        directory.mkdir()
        url = database_backend.fresh(directory)
        engine = make_engine(url)
        try:
            populated = populate(engine, programme, scale, AS_OF)
            with session_factory(engine)() as session:
                actions = session.scalar(select(func.count()).select_from(models.Action))
                escalations = session.scalar(select(func.count()).select_from(models.Escalation))
            assert actions == scale.actions
            assert escalations and escalations > 0
            assert populated.rows["invitation"] > 0 and populated.rows["outbound_message"] > 0
            measurement = measure(engine, programme, scale, populated, AS_OF, repeat=0, label=f"{fraction:g}")
            assert raw_scan(engine, AS_OF) == measurement.raw_rows
            measurements.append(measurement)
        finally:
            engine.dispose()
            database_backend.drop(url)
    small, large = measurements
    assert small.statements == large.statements == 11  # nine tables, and attendance in two
    assert small.raw_rows < large.raw_rows
    assert large.result.messages > 0
    # The check's other conditions (the raw scan reads exactly the snapshot's rows) hold; timing is not asserted.
    assert check(measurements, max_ratio=float("inf")) == []


def test_the_command_runs_end_to_end_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            *("--lcps", "4", "--partners", "40", "--hubs", "6", "--actions", "150"),
            *("--scales", "0.5,1", "--repeat", "5", "--max-ratio", "1000"),
            *("--database-url", f"sqlite:///{tmp_path / 'bench.db'}"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| 0.5 |" in out and "| 1 |" in out
    assert not list(tmp_path.glob("bench-*.db"))  # dropped unless --keep
