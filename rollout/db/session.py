"""Engines and sessions. SQLite by default; any SQLAlchemy URL (PostgreSQL via psycopg) by ROLLOUT_DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from rollout import settings
from rollout.files import create_private


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None) -> Engine:
    """An engine on `url` (default: ROLLOUT_DATABASE_URL, read now). Whoever makes one disposes of it."""
    url = normalise_url(url or settings.database_url())
    if url.startswith("sqlite"):
        database = make_url(url).database
        engine = create_engine(url, connect_args={"timeout": 30})
        if database and database != ":memory:" and not database.startswith("file:"):
            # 0600 from the start: it holds partners' names and addresses (SQLite gives its -wal and -shm files the
            # database's mode). Made at the first connection, not here: a command that refuses its arguments
            # before it reads anything leaves no empty database behind.
            path = Path(database)
            event.listen(engine, "do_connect", lambda *_: create_private(path))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back (nothing half-written) when it raises."""
    with factory() as session, session.begin():
        yield session
