"""The deliverer looks a message up in the organiser's mailbox only when an earlier attempt may have sent it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.m365.gateway import O365Gateway
from rollout.outbound.delivery import Deliverer
from rollout.outbound.outbox import mail_spec
from tests.faults.support import ORGANISER, assert_each_delivered_exactly_once, graph_requests, key_of, queue_mail


def lookups(emulator) -> list:  # type: ignore[no-untyped-def]
    return [r for r in graph_requests(emulator) if r.method == "GET" and r.path.endswith("/messages")]


def test_messages_never_tried_before_are_sent_without_a_lookup(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 3)
    gateway = O365Gateway.from_env(organiser_fallback=ORGANISER)

    report = Deliverer(sessions, gateway).run()
    gateway.close()

    assert report.sent == 3
    assert lookups(emulator) == []
    assert_each_delivered_exactly_once(emulator, sessions, 3)


def test_a_message_a_killed_run_had_already_sent_is_found_and_not_sent_again(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, 1)
    gateway = O365Gateway.from_env(organiser_fallback=ORGANISER)
    # The killed run had recorded its attempt and sent the message, then died before recording the outcome.
    with unit_of_work(sessions) as session:
        row = session.scalars(
            select(models.OutboundMessage).where(models.OutboundMessage.idempotency_key == key_of(0))
        ).one()
        row.status, row.attempts = "sending", 1
        gateway.send_mail(mail_spec(row.payload), row.idempotency_key, first_attempt=True)

    report = Deliverer(sessions, gateway).run()
    gateway.close()

    assert report.sent == 1
    assert len(lookups(emulator)) == 1
    assert len([r for r in graph_requests(emulator) if r.path.endswith("/send")]) == 1
    assert_each_delivered_exactly_once(emulator, sessions, 1)
