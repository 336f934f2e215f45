"""Where test databases live: a SQLite file per test by default, or a PostgreSQL database per test.

Set ROLLOUT_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL:
each test gets its own database cloned from a template migrated once per session. Set
ROLLOUT_TEST_PREFECT_POSTGRES=1 as well to run the Prefect server on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rollout.db.migrate import upgrade
from rollout.db.session import make_engine, normalise_url

POSTGRES_ENV = "ROLLOUT_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


class SqliteBackend:
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.template = workdir / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        upgrade(engine)
        engine.dispose()

    def fresh(self, directory: Path) -> str:
        shutil.copy(self.template, directory / "rollout.db")
        return f"sqlite:///{directory / 'rollout.db'}"

    def drop(self, url: str) -> None:
        """The file goes with the test's temporary directory."""

    def close(self) -> None:
        """Nothing outlives the session's temporary directory."""


class PostgresBackend:
    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
        self.base = make_url(normalise_url(admin_url))
        self.template = f"rollout_tpl_{os.getpid()}"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self._url(self.template))
        upgrade(engine)
        engine.dispose()

    def _url(self, database: str) -> str:
        return self.base.set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def fresh(self, directory: Path) -> str:
        name = f"rollout_t_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        database = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def create_database(self, name: str) -> str:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}"')
        with create_engine(self._url(name), isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        return self._url(name)

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()


@contextmanager
def prefect_server_on(database_url: str | None) -> Iterator[str]:
    """A real Prefect API server in a subprocess, on SQLite (like prefect_test_harness) or on `database_url`."""
    if database_url is None:
        from prefect.settings import PREFECT_API_URL
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=90):
            yield str(PREFECT_API_URL.value())
        return

    import prefect.context
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.server.database.dependencies import temporary_database_interface
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    async_url = make_url(database_url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    with temporary_database_interface(), temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: async_url}):
        server = SubprocessASGIServer()
        server.start(timeout=120)
        try:
            with (
                temporary_settings({PREFECT_API_URL: server.api_url}),
                prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()),
            ):
                yield server.api_url
        finally:
            server.stop()
