"""Systemic failures (Microsoft 365 refuses the app itself) stop delivery at once and lose nothing: no row is failed,
the row in flight goes back to pending, `rollout deliver` exits 5 with one message naming the cause and the fix,
and the first run after the fix sends everything still due exactly once (what went stale meanwhile is dropped)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.db.types import utcnow
from rollout.errors import EXIT_SYSTEMIC
from rollout.m365.gateway import O365Gateway
from rollout.outbound.delivery import Deliverer, DeliveryHalted, DeliveryReport
from tests.faults.conftest import FAULT_CLIENT_ID
from tests.faults.support import (
    ORGANISER,
    assert_each_delivered_exactly_once,
    key_of,
    outbox_rows,
    outbox_status,
    queue_mail,
    tally,
)

MESSAGES = 12
NEW_SECRET = "Rotated~Secret.Value-5e6f7a8b"


def rotate_when_delivered(emulator, count: int) -> threading.Thread:  # type: ignore[no-untyped-def]
    """An admin replaces the app's secret in Entra ID once `count` messages have arrived (tokens issued before stop
    working too: what a long drain meets when its token runs out)."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while sum(len(items) for items in emulator.mailboxes().values()) < count:
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        emulator.rotate_client_secret(FAULT_CLIENT_ID, NEW_SECRET, revoke_tokens=True)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def test_a_secret_rotated_mid_drain_stops_the_run_fails_no_row_and_the_fixed_run_sends_the_rest_once(
    data_dir: Path,
    sessions: sessionmaker[Session],
    own_emulator,
    run_cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    emulator = own_emulator(seed=7)
    emulator.faults.latency_ms = 30  # a drain long enough for the rotation to land in its middle
    queue_mail(sessions, MESSAGES)
    watcher = rotate_when_delivered(emulator, 5)

    stopped = run_cli("deliver")
    watcher.join(timeout=5)

    assert stopped.exit_code == EXIT_SYSTEMIC, stopped.stderr
    before_fix = tally(emulator, MESSAGES)
    sent_first = sum(before_fix.received.values())
    assert 5 <= sent_first < MESSAGES
    waiting = MESSAGES - sent_first
    lines = [line for line in stopped.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: Microsoft 365 refused the app's client secret: it is not a current secret of the app (wrong, "
        "replaced, deleted, or the secret's ID given instead of its Value) (AADSTS7000215): create a new client "
        "secret for the app in Entra ID (Certificates & secrets) and put its Value in ROLLOUT_CLIENT_SECRET (or the "
        "Prefect Secret block named by ROLLOUT_CLIENT_SECRET_BLOCK); nothing was lost: "
        f"{sent_first} sent before it stopped, {waiting} messages wait in the outbox for the next run"
    ]
    assert outbox_status(sessions) == {"sent": sent_first, "pending": waiting}  # none failed, none left `sending`

    monkeypatch.setenv("ROLLOUT_CLIENT_SECRET", NEW_SECRET)  # ops put the new secret in place
    fixed = run_cli("deliver")

    assert fixed.exit_code == 0, fixed.stderr
    assert f"sent {waiting}, failed 0" in fixed.stdout
    assert_each_delivered_exactly_once(emulator, sessions, MESSAGES)
    after = tally(emulator, MESSAGES)
    keys = [key_of(n) for n in range(MESSAGES)]
    print(
        f"\nsecret rotation cycle: intended {MESSAGES}, sent {sum(after.received.values())} "
        f"({sent_first} before the rotation, {waiting} after the fix), lost {len(after.lost(keys))}, "
        f"duplicated {len(after.duplicated)}"
    )


def test_an_expired_secret_touches_no_row_and_says_how_to_fix_it(
    data_dir: Path,
    sessions: sessionmaker[Session],
    own_emulator,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    emulator = own_emulator()
    queue_mail(sessions, 3)
    emulator.expire_client_secret(FAULT_CLIENT_ID)

    result = run_cli("deliver")

    assert result.exit_code == EXIT_SYSTEMIC
    assert "client secret: it has expired (AADSTS7000222)" in result.stderr
    assert "nothing was lost: 3 messages wait in the outbox for the next run" in result.stderr
    assert "Traceback" not in result.stderr
    with sessions() as session:
        rows = session.scalars(select(models.OutboundMessage)).all()
    assert [(row.status, row.attempts) for row in rows] == [("pending", 0)] * 3
    assert emulator.mailboxes() == {}


def test_access_to_the_mailbox_withdrawn_mid_run_puts_the_row_in_flight_back_and_stale_rows_are_dropped_later(
    data_dir: Path,
    sessions: sessionmaker[Session],
    own_emulator,  # type: ignore[no-untyped-def]
) -> None:
    emulator = own_emulator()
    queue_mail(sessions, 6)
    soon = utcnow() + dt.timedelta(hours=1)
    with unit_of_work(sessions) as session:  # the last two are only worth sending within the hour
        session.execute(
            update(models.OutboundMessage)
            .where(models.OutboundMessage.idempotency_key.in_([key_of(4), key_of(5)]))
            .values(stale_after=soon)
        )
    gateway = O365Gateway.from_env(organiser_fallback=ORGANISER)

    def withdraw_after_two(report: DeliveryReport, total: int) -> None:
        if report.sent == 2:
            emulator.set_app_mailboxes(FAULT_CLIENT_ID, ["someone.else@example.org"])

    with pytest.raises(DeliveryHalted) as caught:
        Deliverer(sessions, gateway).run(on_progress=withdraw_after_two)

    assert caught.value.report.sent == 2 and caught.value.waiting == 4
    assert f"denied the app access to the organiser mailbox {ORGANISER} (403 ErrorAccessDenied)" in str(caught.value)
    rows = outbox_rows(sessions)
    assert rows == {key_of(n): "sent" if n < 2 else "pending" for n in range(6)}
    with sessions() as session:
        in_flight = session.scalars(
            select(models.OutboundMessage).where(models.OutboundMessage.idempotency_key == key_of(2))
        ).one()
    assert (in_flight.attempts, in_flight.error_code) == (1, "ErrorAccessDenied")

    emulator.set_app_mailboxes(FAULT_CLIENT_ID, [ORGANISER])  # access restored, two hours later
    later = Deliverer(sessions, gateway, clock=lambda: soon + dt.timedelta(hours=1)).run()
    gateway.close()

    assert (later.sent, later.dropped, later.failed) == (2, 2, 0)
    assert outbox_rows(sessions) == {key_of(n): "sent" if n < 4 else "dropped" for n in range(6)}
    received = tally(emulator, 6).received
    assert [received[key_of(n)] for n in range(6)] == [1, 1, 1, 1, 0, 0]
