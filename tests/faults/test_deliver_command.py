"""`rollout deliver` drains the outbox through the gateway and says how it went in its exit status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.db.types import utcnow
from rollout.outbound.delivery import LEASE_NAME
from tests.faults.support import ORGANISER, assert_each_delivered_exactly_once, key_of, outbox_status, queue_mail


def test_deliver_sends_every_queued_message_once_and_a_second_run_sends_nothing(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 12)

    first = run_cli("deliver")
    assert first.exit_code == 0, first.stderr
    assert "sent 12, failed 0" in first.stdout

    again = run_cli("deliver")
    assert again.exit_code == 0, again.stderr
    assert "sent 0, failed 0" in again.stdout
    assert_each_delivered_exactly_once(emulator, sessions, 12)


def test_deliver_with_a_limit_stops_after_that_many_rows(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 5)

    result = run_cli("deliver", "--limit", "2")

    assert result.exit_code == 0, result.stderr
    assert outbox_status(sessions) == {"sent": 2, "pending": 3}


def test_deliver_exits_1_and_names_the_message_when_graph_refuses_it_for_good(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 3)
    emulator.faults.once("POST", f"/users/{ORGANISER}/messages", status=400, code="ErrorInvalidRecipients")

    result = run_cli("deliver")

    assert result.exit_code == 1
    assert "sent 2, failed 1" in result.stdout
    assert f"not delivered: {key_of(0)}: ErrorInvalidRecipients" in result.stderr
    assert outbox_status(sessions) == {"sent": 2, "failed": 1}


def test_deliver_exits_4_and_sends_nothing_while_another_deliverer_holds_the_outbox(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 2)
    with unit_of_work(sessions) as session:
        session.add(
            models.DeliveryLease(
                name=LEASE_NAME, owner="worker-2.internal:4242:abcd", expires_at=utcnow() + dt.timedelta(minutes=2)
            )
        )

    result = run_cli("deliver")

    assert result.exit_code == 4
    assert "being delivered by worker-2.internal:4242:abcd" in result.stderr
    assert outbox_status(sessions) == {"pending": 2}
    assert emulator.mailboxes() == {}


def test_deliver_exits_2_naming_the_setting_when_the_gateway_is_not_configured(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,
    run_cli,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 1)
    monkeypatch.delenv("ROLLOUT_TENANT_ID")

    result = run_cli("deliver")

    assert result.exit_code == 2
    assert "ROLLOUT_TENANT_ID is not set" in result.stderr
    assert outbox_status(sessions) == {"pending": 1}


def test_deliver_exits_3_with_a_clear_error_when_the_database_is_unreachable_at_start(
    data_dir: Path,
    emulator,
    run_cli,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("ROLLOUT_DATABASE_URL", "postgresql://rollout:secret-pw@127.0.0.1:9/rollout")  # nothing listens

    result = run_cli("deliver")

    assert result.exit_code == 3
    assert "error: the application database is unavailable (postgresql://rollout:***@127.0.0.1:9/rollout)" in (
        result.stderr
    )
    assert "nothing was sent" in result.stderr
    assert "secret-pw" not in result.stderr
    assert emulator.mailboxes() == {}
