"""The application database becomes unavailable in the middle of `rollout deliver`: the run stops with a clear
error and exit 3, and the next run, once the database is back, completes with nothing lost or duplicated.

SQLite: another process takes the database's write lock and holds it (a backup tool, a stuck migration) until
the deliverer's busy timeout (30 s) runs out. PostgreSQL: the deliverer's connections are terminated and the
database renamed away, so reconnecting fails too, then it is renamed back."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tests.backends import PostgresBackend, SqliteBackend
from tests.faults.support import (
    assert_each_delivered_exactly_once,
    deliver_process,
    outbox_rows,
    queue_mail,
    tally,
)

MESSAGES = 40


@contextmanager
def sqlite_locked(url: str) -> Iterator[None]:
    """Hold SQLite's write lock (in WAL mode readers go on; the deliverer's next write waits, then fails)."""
    connection = sqlite3.connect(make_url(url).database or "", timeout=60, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@contextmanager
def postgres_gone(backend: PostgresBackend, url: str) -> Iterator[None]:
    """Terminate every connection to the test database and rename it away; rename it back afterwards."""
    name = make_url(url).database
    away = f"{name}_away"
    with backend.admin.connect() as admin:
        for _ in range(100):
            admin.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
            try:
                admin.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{away}"'))
                break
            except OperationalError:  # a connection came back between the two statements
                time.sleep(0.01)
        else:
            pytest.fail(f"could not take {name} away")
        try:
            yield
        finally:
            admin.execute(text(f'ALTER DATABASE "{away}" RENAME TO "{name}"'))


def make_unavailable(backend: SqliteBackend | PostgresBackend, url: str) -> AbstractContextManager[None]:
    if isinstance(backend, PostgresBackend):
        return postgres_gone(backend, url)
    return sqlite_locked(url)


@pytest.mark.slow
def test_database_lost_mid_delivery_fails_clearly_and_the_next_run_completes_exactly_once(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,  # type: ignore[no-untyped-def]
    database_backend: SqliteBackend | PostgresBackend,
) -> None:
    queue_mail(sessions, MESSAGES)
    emulator.faults.latency_ms = 20  # so that the outage lands mid-drain

    process = deliver_process()
    deadline = time.monotonic() + 60
    while sum(tally(emulator, MESSAGES).received.values()) < MESSAGES // 3:
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the deliverer made no progress"
        time.sleep(0.005)
    with make_unavailable(database_backend, os.environ["ROLLOUT_DATABASE_URL"]):
        _, stderr = process.communicate(timeout=120)
        delivered_meanwhile = tally(emulator, MESSAGES)

    assert process.returncode == 3, stderr[-2000:]
    assert "error: the application database became unavailable during delivery" in stderr
    assert "run `rollout deliver` again once the database is back" in stderr
    assert "Traceback" not in stderr
    assert delivered_meanwhile.duplicated == []
    received = {key for key, n in delivered_meanwhile.received.items() if n}
    assert 0 < len(received) < MESSAGES
    # Consistent as it stopped: every row recorded `sent` was received; at most the one row in flight was
    # received without being recorded, and it is left `sending` for the next run to recognise.
    rows = outbox_rows(sessions)
    sent = {key for key, status in rows.items() if status == "sent"}
    in_flight = {key for key, status in rows.items() if status == "sending"}
    assert sent <= received <= sent | in_flight
    assert len(in_flight) <= 1

    emulator.faults.latency_ms = 0
    rerun = deliver_process()
    stdout, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr[-2000:]
    assert "failed 0" in stdout
    assert_each_delivered_exactly_once(emulator, sessions, MESSAGES)
