"""Simulations shared by the tests of this folder: each is run once per module (they take seconds, not
milliseconds), on the session's database backend (SQLite, or PostgreSQL in that lane) and Prefect server."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rollout_lab.simulation import Options, Result, simulate
from rollout_lab.simulation.engine import Engine
from rollout_lab.simulation.world import World
from tests.backends import PostgresBackend, SqliteBackend
from tests.conftest import CONFIG
from tests.simulation.direct import DirectEngine

# Wave 1 from its launch to early December: invitations, replies (some late), reminders, three
# workshops' follow-ups, action reminders and overdue notices, the first stalled hubs and their escalations.
FIRST, LAST = dt.date(2022, 9, 16), dt.date(2022, 12, 2)
SEED = 3

Ledger = Counter[tuple[str, str, str, str]]  # (address, kind, subject, received at) -> copies


class Simulator:
    """Runs simulations into fresh directories and databases, and keeps each one's mailboxes for comparison."""

    def __init__(self, backend: SqliteBackend | PostgresBackend, tmp: pytest.TempPathFactory) -> None:
        self.backend = backend
        self.tmp = tmp
        self.urls: list[str] = []

    def run(
        self,
        *,
        first: dt.date = FIRST,
        last: dt.date = LAST,
        seed: int = SEED,
        engine: Callable[[World], Engine] | None = DirectEngine,
        every_day: bool = False,
    ) -> tuple[Result, Ledger]:
        url = self.backend.fresh(self.tmp.mktemp("database"))
        self.urls.append(url)
        directory = self.tmp.mktemp("simulation")
        ledger: Ledger = Counter()

        def keep_mailboxes(world: World) -> None:
            for address, items in world.emulator.mailboxes().items():
                ledger.update((address, i.kind, i.subject, i.received_at.isoformat()) for i in items)

        options = Options(CONFIG, directory, first=first, last=last, seed=seed, database_url=url, every_day=every_day)
        result = simulate(options, say=lambda _: None, engine=engine, on_finish=keep_mailboxes)
        return result, ledger

    def close(self) -> None:
        for url in self.urls:
            self.backend.drop(url)


@pytest.fixture(scope="module")
def simulator(
    prefect_server: str, database_backend: SqliteBackend | PostgresBackend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulator]:
    simulator = Simulator(database_backend, tmp_path_factory)
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def through_the_flows(simulator: Simulator) -> tuple[Result, Ledger]:
    """FIRST to LAST through the real Prefect flows."""
    return simulator.run(engine=None)


@pytest.fixture(scope="module")
def directly(simulator: Simulator) -> tuple[Result, Ledger]:
    """The same window and seed, with the flows' steps called without Prefect."""
    return simulator.run()


def files_in(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))
