"""The simulated world: its own database, a Graph emulator on loopback, the settings that point the flows at both,
and a Prefect API to record the runs.

Nothing of the user's is touched: the database is a SQLite file in the simulation's directory (recreated each run),
the ROLLOUT_* settings are changed only while the simulation runs (and restored after), and without
PREFECT_API_URL the runs go to a temporary Prefect server whose database also lives in that directory.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import secrets
import shutil
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from graph_emulator import EmulatorConfig, GraphEmulator
from graph_emulator.cli import DEMO_APP, environment
from rollout.config import Programme
from rollout.db.migrate import upgrade
from rollout.db.session import make_engine, session_factory
from rollout.services import Services, build_services
from rollout.settings import DEFAULT_CHECKIN_PUBLIC_URL, Settings

# Files and folders the simulation owns in its directory; anything else there is left alone. The migrated empty
# Prefect database (PREFECT_TEMPLATE) is kept: migrating a new one takes most of the temporary server's start.
OWNED = ("rollout.db", "rollout.db-wal", "rollout.db-shm", "mailboxes", "digests", "tls", "prefect")
PREFECT_TEMPLATE = "prefect-{version}.template.db"
RESULTS_BLOCK = "rollout-simulation"
# Gateway settings of the user's own tenant: never used by a simulation.
_TENANT_VARIABLES = (
    "ROLLOUT_CLIENT_SECRET_BLOCK",
    "ROLLOUT_CLIENT_CERT_PATH",
    "ROLLOUT_CLIENT_CERT_THUMBPRINT",
    "ROLLOUT_GRAPH_MAX_IN_FLIGHT",
)
# No pacing: Exchange's 30 messages a minute are real minutes, and simulated months pass in seconds.
SEND_PACE = "1000000"
# Prefect server services a simulation does not need (schedules, late runs, automations, ...).
_QUIET_SERVER = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    # Writing every task-run state and event to the server's SQLite file makes each flow run several times slower
    # (the writers queue for its lock). Nobody can look at a temporary server, so it keeps flow runs, logs aside.
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_LOGGER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "false",
}


@dataclass(frozen=True)
class CheckinPage:
    """Where the simulated emails' check-in links point and the secret that signs them: the simulation's own, never
    the user's (its emails are files on disk). Links are issued as the emails are queued and work for
    ROLLOUT_CHECKIN_TOKEN_DAYS from then, so while a page with this address and secret runs (the demo starts one
    at its end) the "Mark as done" links in the simulated mailboxes open it."""

    public_url: str = DEFAULT_CHECKIN_PUBLIC_URL
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @classmethod
    def on_free_port(cls) -> CheckinPage:
        """A page on a loopback port nothing listens on yet, with a new secret."""
        return cls(public_url=f"http://127.0.0.1:{free_port()}")

    def environment(self) -> dict[str, str | None]:
        return {
            "ROLLOUT_PUBLIC_URL": self.public_url,
            "ROLLOUT_CHECKIN_SECRET": self.secret,
            "ROLLOUT_CHECKIN_SECRET_BLOCK": None,
            "ROLLOUT_CHECKIN_PREVIOUS_SECRET": None,
        }


@dataclass
class Clock:
    """The simulated moment: the emulator stamps received mail and replies with it."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    directory: Path
    programme: Programme
    config_path: Path
    database_url: str
    sessions: sessionmaker[Session]
    emulator: GraphEmulator
    organiser: str
    clock: Clock
    services: Services  # built once: every flow run of the simulation uses them (rollout.services.provided)
    prefect: str  # where the runs are recorded, for people
    prefect_ui: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def mailbox_dir(self) -> Path:
        return self.directory / "mailboxes"

    @property
    def digest_dir(self) -> Path:
        return self.directory / "digests"


def default_directory() -> Path:
    from rollout import settings

    return settings.data_dir() / "simulation"


def clear_directory(directory: Path) -> None:
    """Remove what an earlier simulation left (only the files and folders a simulation writes)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in OWNED:
        path = directory / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


@contextmanager
def environment_variables(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for the block; restore them after."""
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def long_run_collector() -> Iterator[None]:
    """Python's cyclic garbage collector set for a long run of many short jobs in one process: what is alive once
    the world is set up (Prefect, SQLAlchemy, the emulator: hundreds of thousands of objects) lives until the end,
    so it is frozen out of every later collection, and the youngest generation is collected every 50,000
    allocations instead of every 700 (each flow run makes tens of thousands of short-lived objects; most are freed
    by reference counting, so frequent passes find little). Restored when the block ends. The benchmark's Prefect
    floor runs under the same setting (bench/simulation_wall.py), so the comparison stays like for like."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def fast_sqlite_commits(database_url: str) -> Iterator[None]:
    """The simulation's throwaway SQLite file is opened with synchronous=NORMAL (WAL: no fsync per commit), by
    whichever engine opens it, flows included. Recreated each run, it has nothing a power cut could cost."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database:
        yield
        return
    target = os.path.realpath(url.database)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            rows = cursor.execute("PRAGMA database_list").fetchall()
            if any(row[1] == "main" and row[2] and os.path.realpath(row[2]) == target for row in rows):
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


def free_port() -> int:
    """A TCP port on loopback that nothing is listening on (for a server this process is about to start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def save_template(database: Path, template: Path) -> None:
    """A consistent copy of the just-migrated (still empty) Prefect database, for the next simulation to start
    from. The server is running, so SQLite's backup API copies it, not the file system."""
    partial = template.with_suffix(".partial")
    source, target = sqlite3.connect(database), sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    partial.replace(template)


@contextmanager
def prefect_api(directory: Path, small_ca_file: Path | None = None) -> Iterator[tuple[str, str | None]]:
    """PREFECT_API_URL when set (runs appear in that server's UI); otherwise a temporary Prefect server whose
    database is in `directory`, stopped when the simulation ends. Yields (description, UI address or None).

    Either way the flow-run heartbeat is off: it adds about a second to every run and exists for zombie detection,
    which a simulation that lasts a minute does not need.

    The temporary server speaks plain HTTP on loopback, yet Prefect builds a TLS context for every API client it
    opens (one or two per flow run), loading the whole CA bundle each time (~30 ms). With `small_ca_file` (a
    one-certificate PEM file) it loads that instead; no TLS is ever negotiated with it."""
    import prefect.context
    from prefect.filesystems import LocalFileSystem
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import (
        PREFECT_API_SSL_CERT_FILE,
        PREFECT_API_URL,
        PREFECT_CLIENT_CSRF_SUPPORT_ENABLED,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_LOGGING_LEVEL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        PREFECT_UI_URL,
        temporary_settings,
    )

    url = PREFECT_API_URL.value()
    with ExitStack() as stack:
        if url:
            stack.enter_context(temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))
            ui = PREFECT_UI_URL.value() or None
            yield f"Prefect server at {url}", ui
            return
        from prefect.server.database.dependencies import temporary_database_interface

        folder = directory / "prefect"
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "prefect.db"
        template = directory / PREFECT_TEMPLATE.format(version=prefect.__version__)
        for leftover in (database, database.with_name("prefect.db-wal"), database.with_name("prefect.db-shm")):
            leftover.unlink(missing_ok=True)  # a journal of another database would corrupt the copy
        if template.exists():
            shutil.copyfile(template, database)
        stack.enter_context(environment_variables({k: os.environ.get(k, v) for k, v in _QUIET_SERVER.items()}))
        stack.enter_context(temporary_database_interface())
        stack.enter_context(
            temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{database}"})
        )
        # Its own port: SubprocessASGIServer() without one hands back any server this process already started
        # (a test harness's, say), which stopping this one would then stop too.
        server = SubprocessASGIServer(port=free_port())
        server.start(timeout=120)
        try:
            if not template.exists():
                save_template(database, template)
            updates: dict[Any, Any] = {
                PREFECT_API_URL: server.api_url,
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                # Nobody can read a temporary server's logs after it stops, and the console shows the timeline:
                # runs log warnings and errors only (the flows' INFO lines cost ~15 ms a run to format).
                PREFECT_LOGGING_TO_API_ENABLED: False,
                PREFECT_LOGGING_LEVEL: "WARNING",
                # The temporary server does not check CSRF tokens (Prefect's default), so a client need not fetch
                # one: that is a request per flow run.
                PREFECT_CLIENT_CSRF_SUPPORT_ENABLED: False,
            }
            if small_ca_file is not None and server.api_url.startswith("http://"):
                updates[PREFECT_API_SSL_CERT_FILE] = str(small_ca_file)
            stack.enter_context(temporary_settings(updates))
            # With no default result storage block, every flow run asks the server for its default three times.
            # Naming one saves those requests (nothing is persisted: results stay in memory by default).
            LocalFileSystem(basepath=str(folder / "results")).save(RESULTS_BLOCK, overwrite=True)
            stack.enter_context(
                temporary_settings({PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK: f"local-file-system/{RESULTS_BLOCK}"})
            )
            stack.enter_context(
                prefect.context._temporary_global_settings_context(prefect.context.get_settings_context())
            )
            yield f"temporary Prefect server at {server.api_url} (stopped when the simulation ends)", None
        finally:
            _send_pending_events()  # to this server, before it stops: none is left to retry against a dead one
            stack.close()
            server.stop()


def _send_pending_events() -> None:
    """Wait (30 s at most) for the run events Prefect's client still holds to reach the server. Otherwise, with
    the server stopped, its events worker keeps retrying them, and a later temporary server in the same process
    (a test, the benchmark's floor) waits behind them."""
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=30, at_exit=False)


@contextmanager
def simulated_world(
    programme: Programme,
    config_path: Path,
    directory: Path,
    *,
    database_url: str | None = None,
    seed: int = 1,
    start: dt.datetime,
    checkin: CheckinPage | None = None,
) -> Iterator[World]:
    """Everything the simulation needs, for the duration of the block. `database_url`: an empty (or freshly
    migrated) database to use instead of the directory's SQLite file (the test suite's PostgreSQL lane).
    `checkin`: where the emails' check-in links point (default: the page's loopback address, a new secret)."""
    clear_directory(directory)
    url = database_url or f"sqlite:///{directory.resolve() / 'rollout.db'}"
    organiser = programme.programme.organiser_mailbox
    clock = Clock(start)
    with ExitStack() as stack:
        stack.enter_context(fast_sqlite_commits(url))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        emulator = GraphEmulator(
            EmulatorConfig(data_dir=directory, send_pace_per_minute=10**6, index_each_item=False, seed=seed)
        ).start()
        stack.callback(emulator.stop)
        tenant, client, secret, _ = DEMO_APP
        app = (tenant, client, secret, (organiser,))
        emulator.register_app(tenant, client, secret, [organiser])
        emulator.set_clock(clock)
        settings: dict[str, str | None] = {name: None for name in _TENANT_VARIABLES}
        settings |= {
            **environment(emulator, app),
            "ROLLOUT_DATABASE_URL": url,
            "ROLLOUT_CONFIG": str(config_path),
            "ROLLOUT_SEND_PACE": SEND_PACE,
            **(checkin or CheckinPage()).environment(),
        }
        stack.enter_context(environment_variables(settings))
        sessions = session_factory(engine)
        # One set of services for every run: one engine, one gateway (one token), the simulated clock.
        services = build_services(
            Settings.from_env(config_path=config_path, database_url=url),
            programme=programme,
            sessions=sessions,
            clock=clock,
        )
        stack.callback(services.close)
        where, ui = stack.enter_context(prefect_api(directory, emulator.ca_bundle))
        yield World(
            directory=directory,
            programme=programme,
            config_path=config_path,
            database_url=url,
            sessions=sessions,
            services=services,
            emulator=emulator,
            organiser=organiser,
            clock=clock,
            prefect=where,
            prefect_ui=ui,
        )
