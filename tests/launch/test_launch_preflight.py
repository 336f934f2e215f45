"""Pre-flight: a launch checks the Microsoft 365 settings, gets a token and reads the organiser mailbox before it
writes a single outbox row. A launch that cannot send leaves the outbox exactly as it was; one that fails mid-delivery
fails no row, and the next run sends what waits, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows.launch_wave import launch_wave
from rollout.db import models
from rollout.errors import EXIT_SYSTEMIC
from tests.conftest import CLIENT_ID, CLIENT_SECRET, SAMPLE_PARTNERS
from tests.faults.support import queue_mail

pytestmark = pytest.mark.usefixtures("prefect_server")
AS_OF = dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC)
ORGANISER = "digital.health.hubs@example.org"
GATEWAY_SETTINGS = ("ROLLOUT_TENANT_ID", "ROLLOUT_CLIENT_ID", "ROLLOUT_CLIENT_SECRET", "ROLLOUT_CLIENT_SECRET_BLOCK")


def outbox(sessions: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    with sessions() as session:
        rows = session.scalars(select(models.OutboundMessage).order_by(models.OutboundMessage.id)).all()
    return [(row.idempotency_key, row.status, row.attempts) for row in rows]


@pytest.fixture
def partners_and_a_queued_message(data_dir: Path, sessions: sessionmaker[Session], run_cli) -> list:  # type: ignore[no-untyped-def,type-arg]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    queue_mail(sessions, 1)  # something already waiting: it must stay exactly as it is
    return outbox(sessions)


@pytest.fixture
def expired_secret(emulator) -> Iterator[object]:  # type: ignore[no-untyped-def]
    emulator.expire_client_secret(CLIENT_ID)
    yield emulator
    emulator.rotate_client_secret(CLIENT_ID, CLIENT_SECRET)


def test_a_launch_without_microsoft_365_settings_exits_2_in_one_line_and_queues_nothing(
    sessions: sessionmaker[Session],
    partners_and_a_queued_message,
    run_cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    for name in GATEWAY_SETTINGS:
        monkeypatch.delenv(name, raising=False)

    result = run_cli("launch", "wave-1", "--no-approval", "--as-of", "2022-09-01")

    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: environment: ROLLOUT_TENANT_ID is not set; ")
    assert lines[0].endswith("nothing was queued or sent")
    assert outbox(sessions) == partners_and_a_queued_message


def test_a_launch_needing_approval_with_a_refused_secret_stops_before_asking_and_queues_nothing(
    sessions: sessionmaker[Session],
    partners_and_a_queued_message,
    expired_secret,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    result = run_cli("launch", "wave-1", "--approval", "--as-of", "2022-09-01")

    assert result.exit_code == EXIT_SYSTEMIC
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "client secret: it has expired (AADSTS7000222)" in lines[0]
    assert outbox(sessions) == partners_and_a_queued_message


def test_a_launch_flow_run_by_a_deployment_fails_its_pre_flight_with_one_message_and_queues_nothing(
    sessions: sessionmaker[Session],
    partners_and_a_queued_message,
    emulator,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.delenv("ROLLOUT_TENANT_ID")

    state = launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False, return_state=True)

    assert state.is_failed()
    assert state.message == "environment: ROLLOUT_TENANT_ID is not set; nothing was queued"
    assert outbox(sessions) == partners_and_a_queued_message
    assert emulator.events(ORGANISER) == []


def test_access_refused_during_a_launchs_delivery_fails_the_run_clearly_and_the_next_run_sends_once(
    sessions: sessionmaker[Session],
    partners_and_a_queued_message,
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    emulator.faults.once("POST", "/users/*/events", status=403, code="ErrorAccessDenied")

    state = launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False, return_state=True)

    assert state.is_failed()
    assert state.message.startswith(f"Microsoft 365 denied the app access to the organiser mailbox {ORGANISER}")
    # The message queued before went out first; the first invitation met the refusal.
    assert state.message.endswith(
        "nothing was lost: 1 sent before it stopped, 6 messages wait in the outbox for the next run"
    )
    assert [status for _, status, _ in outbox(sessions)] == ["sent"] + ["pending"] * 6

    again = run_cli("deliver")

    assert again.exit_code == 0, again.stderr
    assert "sent 6, failed 0" in again.stdout
    assert len(emulator.events(ORGANISER)) == 6
    assert len(emulator.mailbox("resident0000@fault.example")) == 1
