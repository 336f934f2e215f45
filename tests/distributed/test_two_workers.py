"""Two process workers share Exchange Online's limits through the Prefect server, and ops hear of failures.

Production-shaped: a Prefect server on PostgreSQL in its own process, `rollout deploy` on a process work pool, two
`prefect worker start` processes with separate Prefect homes, the Graph emulator enforcing Exchange's limits. A
launch, two reconciles and a digest run at once; the emulator's own log is the judge.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy.orm import Session, sessionmaker

from graph_emulator import EmulatorConfig, GraphEmulator
from graph_emulator.requestlog import accepted_sends, most_in_flight, most_in_window
from rollout.config import Programme
from rollout_lab.simulation.ledger import check_delivery
from tests.backends import PostgresBackend, SqliteBackend
from tests.conftest import CLIENT_ID, CLIENT_SECRET, CONFIG, SAMPLE_PARTNERS, TENANT_ID
from tests.distributed.cluster import Cluster, running_cluster, unpacked_wheel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("ROLLOUT_TEST_POSTGRES_URL"), reason="runs in the PostgreSQL lane (Prefect server on it)"
    ),
]

PACE = 60  # messages a minute: Exchange's is 30; doubled here so the test takes one minute, not two


@pytest.fixture
def emulator(programme: Programme) -> Iterator[GraphEmulator]:
    emulator = GraphEmulator(EmulatorConfig(send_pace_per_minute=PACE, max_concurrency=4, seed=7)).start()
    emulator.register_app(TENANT_ID, CLIENT_ID, CLIENT_SECRET, mailboxes=[programme.programme.organiser_mailbox])
    yield emulator
    emulator.stop()


@pytest.fixture
def cluster(
    tmp_path: Path, data_dir: Path, emulator: GraphEmulator, database_backend: SqliteBackend | PostgresBackend
) -> Iterator[Cluster]:
    assert isinstance(database_backend, PostgresBackend)
    prefect_db = database_backend.create_database(f"rollout_cluster_{os.getpid()}")
    rollout_env = {
        "ROLLOUT_CONFIG": str(CONFIG),
        "ROLLOUT_DATA_DIR": str(data_dir),
        "ROLLOUT_DATABASE_URL": os.environ["ROLLOUT_DATABASE_URL"],
        "ROLLOUT_TENANT_ID": TENANT_ID,
        "ROLLOUT_CLIENT_ID": CLIENT_ID,
        "ROLLOUT_CLIENT_SECRET": CLIENT_SECRET,
        "ROLLOUT_GRAPH_URL": emulator.graph_url,
        "ROLLOUT_LOGIN_URL": emulator.login_url,
        "ROLLOUT_CA_BUNDLE": str(emulator.ca_bundle),
        "ROLLOUT_SEND_PACE": str(PACE),
    }
    # Workers run the product as a worker machine installs it: from the wheel, not from this checkout.
    installed = unpacked_wheel(Path(__file__).resolve().parents[2], tmp_path)
    cluster = Cluster(tmp_path / "cluster", rollout_env, prefect_database_url=prefect_db, installed=installed)
    try:
        with running_cluster(cluster):
            yield cluster
    finally:
        if cluster.processes:
            print(cluster.logs())  # shown by pytest only when the test fails
        database_backend.drop(prefect_db)


def test_two_workers_together_stay_within_exchange_limits_and_deliver_each_message_once(  # type: ignore[no-untyped-def]
    cluster: Cluster, emulator: GraphEmulator, run_cli, sessions: sessionmaker[Session], programme: Programme
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    imported = cluster.python("import flows, rollout.templates as t; print(flows.__file__); print(t.__file__)")
    assert all(line.startswith(str(cluster.installed)) for line in imported.split()), imported
    deployed = cluster.rollout("deploy", "--pool", "rollout")
    assert deployed.returncode == 0, deployed.stderr
    cluster.start_workers()

    together = [
        cluster.run_deployment(
            "launch-wave/launch-wave",
            {"wave": "wave-1", "as_of": "2022-09-20T09:00:00+01:00", "require_approval": False},
        ),
        cluster.run_deployment("reconcile/daily", {"as_of": "2022-10-06T07:00:00+01:00"}),
        cluster.run_deployment("reconcile/daily", {"as_of": "2022-10-07T07:00:00+01:00"}),
        cluster.run_deployment("weekly-digest/weekly", {"as_of": "2022-10-03T08:00:00+01:00"}),
    ]
    states = cluster.wait_for(together)
    # What a deliverer left to another (one lease at a time) goes at the next run, as in production.
    states |= cluster.wait_for([cluster.run_deployment("reconcile/daily", {"as_of": "2022-10-07T08:00:00+01:00"})])
    assert set(states.values()) == {"Completed"}, states

    records = emulator.requests
    assert emulator.stats()["by_status"].get("429", 0) == 0
    assert most_in_flight(records) <= 4
    assert most_in_window(accepted_sends(records)) <= PACE
    with sessions() as session:
        check = check_delivery(session, emulator.mailboxes(), programme.programme.organiser_mailbox)
    assert check.ok, check.examples
    assert check.intended > PACE // 2  # enough sends that the shared pace mattered


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_a_failed_run_reaches_the_ops_webhook_within_a_minute(cluster: Cluster, tmp_path: Path) -> None:
    import time

    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import PREFECT_API_URL, temporary_settings

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/ops"
    try:
        with temporary_settings({PREFECT_API_URL: cluster.api_url}):
            CustomWebhookNotificationBlock(name="ops", url=hook, json_data={"text": "{{body}}"}).save(
                "rollout-ops", overwrite=True
            )
        cluster.rollout_env = {**cluster.rollout_env, "ROLLOUT_NOTIFY_BLOCK": "custom-webhook/rollout-ops"}
        assert cluster.rollout("deploy", "--pool", "rollout").returncode == 0
        cluster.start_workers()
        # A wave that does not exist: the run fails at once, as a mistyped parameter would.
        failed = cluster.run_deployment("launch-wave/launch-wave", {"wave": "wave-99", "require_approval": False})
        started = time.monotonic()
        assert set(cluster.wait_for([failed]).values()) == {"Failed"}
        deadline = started + 60
        while not _Receiver.bodies and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _Receiver.bodies, "no notification within a minute of the failure"
        text = _Receiver.bodies[0].decode()
        assert "Failed" in text and f"/runs/flow-run/{failed}" in text
    finally:
        receiver.shutdown()
