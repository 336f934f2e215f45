"""Shared fixtures: the real programme config, an isolated migrated database per test, the CLI in-process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme, load_programme
from rollout.db.session import make_engine, session_factory
from tests.backends import PostgresBackend, SqliteBackend, postgres_admin_url, prefect_server_on

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "waves.toml"
SAMPLE_PARTNERS = ROOT / "config" / "sample_partners.csv"


@pytest.fixture(scope="session")
def programme() -> Programme:
    return load_programme(CONFIG)


@pytest.fixture(scope="session")
def database_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteBackend | PostgresBackend]:
    """SQLite by default; PostgreSQL when ROLLOUT_TEST_POSTGRES_URL is set. Migrated once per session."""
    admin = postgres_admin_url()
    backend = PostgresBackend(admin) if admin else SqliteBackend(tmp_path_factory.mktemp("database"))
    yield backend
    backend.close()


@pytest.fixture
def data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_backend: SqliteBackend | PostgresBackend
) -> Iterator[Path]:
    """An isolated ROLLOUT_DATA_DIR and a freshly migrated database of the session's backend."""
    directory = tmp_path / "var"
    directory.mkdir()
    url = database_backend.fresh(directory)
    monkeypatch.setenv("ROLLOUT_DATA_DIR", str(directory))
    monkeypatch.setenv("ROLLOUT_DATABASE_URL", url)
    monkeypatch.setenv("ROLLOUT_CONFIG", str(CONFIG))
    yield directory
    database_backend.drop(url)


@pytest.fixture
def engine(data_dir: Path) -> Iterator[Engine]:
    engine = make_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


# Server services the tests do not need: fewer "database is locked" retries and a faster start.
_QUIET_SERVER = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    # No test reads task runs or events back from the server; writing them queues every flow run behind the
    # SQLite lock (several times slower, and "database is locked" retries).
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
}


@pytest.fixture(scope="session")
def prefect_server(
    tmp_path_factory: pytest.TempPathFactory, database_backend: SqliteBackend | PostgresBackend
) -> Iterator[str]:
    """One real Prefect API server for the whole session (it takes ~10 s to start). Yields its URL."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    patch = pytest.MonkeyPatch()
    for name, value in _QUIET_SERVER.items():
        patch.setenv(name, value)
    patch.setenv("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(tmp_path_factory.mktemp("prefect-results")))
    patch.setenv("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # Run logs stay on the console: shipping them to the API only adds noise when the server stops at exit.
    patch.setenv("PREFECT_LOGGING_TO_API_ENABLED", "false")
    prefect_database = None
    if os.environ.get("ROLLOUT_TEST_PREFECT_POSTGRES") and isinstance(database_backend, PostgresBackend):
        prefect_database = database_backend.create_database(f"rollout_prefect_{os.getpid()}")
    try:
        # The heartbeat thread adds ~1 s to every sync flow run; zombie detection is not under test here.
        with (
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
            prefect_server_on(prefect_database) as url,
        ):
            yield url
    finally:
        patch.undo()
        if prefect_database is not None and isinstance(database_backend, PostgresBackend):
            database_backend.drop(prefect_database)


TENANT_ID = "00000000-0000-4000-8000-000000000001"
CLIENT_ID = "rollout-tests"
CLIENT_SECRET = "emulator-only-test-secret"


@pytest.fixture(scope="session")
def graph_emulator(programme: Programme) -> Iterator[object]:
    """One Graph emulator over HTTPS on loopback for the session; the app may act on the organiser only."""
    from graph_emulator import EmulatorConfig, GraphEmulator

    emulator = GraphEmulator(EmulatorConfig(send_pace_per_minute=6000, seed=1)).start()
    emulator.register_app(TENANT_ID, CLIENT_ID, CLIENT_SECRET, mailboxes=[programme.programme.organiser_mailbox])
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(graph_emulator, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The emulator, emptied, with the ROLLOUT_* gateway settings pointing at it for this test."""
    graph_emulator.reset()
    settings = {
        "ROLLOUT_TENANT_ID": TENANT_ID,
        "ROLLOUT_CLIENT_ID": CLIENT_ID,
        "ROLLOUT_CLIENT_SECRET": CLIENT_SECRET,
        "ROLLOUT_GRAPH_URL": graph_emulator.graph_url,
        "ROLLOUT_LOGIN_URL": graph_emulator.login_url,
        "ROLLOUT_CA_BUNDLE": str(graph_emulator.ca_bundle),
        "ROLLOUT_SEND_PACE": "6000",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ROLLOUT_ORGANISER", raising=False)
    return graph_emulator


@pytest.fixture
def recording_gateway(sessions: sessionmaker[Session], programme: Programme) -> Iterator[object]:
    """A recording gateway (tests/fakes/gateway.py) for tests that need something that sends but do not test Graph:
    every flow run the test starts in this thread (directly or through the CLI) uses it, with the test's database."""
    from rollout.services import build_services, provided
    from rollout.settings import Settings
    from tests.fakes.gateway import FakeGateway

    gateway = FakeGateway(programme.programme.organiser_mailbox)
    services = build_services(Settings.from_env(), programme=programme, sessions=sessions, gateway=gateway)
    with provided(services):
        yield gateway


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `rollout ARGS...` in-process, exactly as the console script does, and capture its output."""
    from rollout.cli.main import app

    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["rollout", *args])
        code = 0
        try:
            app()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
