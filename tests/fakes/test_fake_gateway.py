"""The recording gateway keeps the real gateway's promises, so tests that use it test rollout, not the fake."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.outbound.delivery import Deliverer
from rollout.outbound.gateway import (
    EventSpec,
    MailSpec,
    NotFoundGraphError,
    PermanentGraphError,
    Recipient,
    TransientGraphError,
)
from rollout.outbound.outbox import Intent, enqueue, mail_payload
from tests.fakes.gateway import FakeGateway

T0 = dt.datetime(2022, 10, 4, 9, tzinfo=dt.UTC)
ANN, BOB = Recipient("Ann", "ann@example.org"), Recipient("Bob", "Bob@Example.org")
MAIL = MailSpec(to=(ANN,), subject="Please reply", text="text", html="<p>html</p>")


def event(*attendees: Recipient, hour: int = 10) -> EventSpec:
    start = T0.replace(hour=hour)
    return EventSpec("Workshop 1", "<p>x</p>", start, start + dt.timedelta(hours=2), "Europe/London", attendees)


def test_the_same_transaction_id_never_makes_a_second_event_nor_a_second_invitation() -> None:
    gateway = FakeGateway()
    first = gateway.create_event(event(ANN, BOB), "tx-1")
    assert gateway.create_event(event(ANN, BOB), "tx-1") == first
    assert len(gateway.events) == 1
    assert {a: [r.kind for r in items] for a, items in gateway.mailboxes().items()} == {
        "ann@example.org": ["invitation"],
        "bob@example.org": ["invitation"],
    }


def test_the_same_key_never_sends_a_second_mail() -> None:
    gateway = FakeGateway()
    assert gateway.send_mail(MAIL, "k1", first_attempt=True) == gateway.send_mail(MAIL, "k1")
    assert [m.key for m in gateway.mails] == ["k1"]
    assert [c.outcome for c in gateway.operations("send_mail")] == ["ok", "repeat"]


def test_an_update_invites_newcomers_cancels_for_those_removed_and_tells_the_rest_of_a_move() -> None:
    gateway = FakeGateway()
    event_id = gateway.create_event(event(ANN), "tx-1")
    gateway.update_event(event_id, event(BOB, hour=14))
    assert [r.kind for r in gateway.mailboxes()["ann@example.org"]] == ["invitation", "cancellation"]
    assert [r.kind for r in gateway.mailboxes()["bob@example.org"]] == ["invitation"]


def test_responses_are_read_back_and_a_cancelled_event_is_gone_but_cancelling_again_is_fine() -> None:
    gateway = FakeGateway()
    event_id = gateway.create_event(event(ANN, BOB), "tx-1")
    gateway.respond(event_id, "ANN@example.org", "accepted", T0)
    state = gateway.get_event(event_id)
    assert {(a.email, a.response) for a in state.attendees} == {
        ("ann@example.org", "accepted"),
        ("bob@example.org", "none"),
    }
    gateway.cancel_event(event_id, "Cancelled")
    gateway.cancel_event(event_id, "Cancelled")
    with pytest.raises(NotFoundGraphError):
        gateway.get_event(event_id)
    assert [r.kind for r in gateway.mailboxes()["ann@example.org"]] == ["invitation", "cancellation"]


def test_a_permanent_failure_sends_nothing_and_a_lost_response_sends_once() -> None:
    gateway = FakeGateway()
    gateway.fail("send_mail", transient=False)
    with pytest.raises(PermanentGraphError):
        gateway.send_mail(MAIL, "k1")
    assert gateway.mails == []
    gateway.fail("send_mail", after_effect=True)
    with pytest.raises(TransientGraphError):
        gateway.send_mail(MAIL, "k2")
    gateway.send_mail(MAIL, "k2")
    assert [m.key for m in gateway.mails] == ["k2"]


def test_the_deliverer_retries_a_lost_response_later_and_the_mail_arrives_once(
    sessions: sessionmaker[Session],
) -> None:
    gateway = FakeGateway()
    with unit_of_work(sessions) as session:
        enqueue(session, [Intent("mail:k1", "mail", "reminder", mail_payload(MAIL), ("ann@example.org",))])
    gateway.fail("send_mail", after_effect=True, times=1)

    first = Deliverer(sessions, gateway, clock=lambda: T0).run()
    later = Deliverer(sessions, gateway, clock=lambda: T0 + dt.timedelta(hours=1)).run()

    assert (first.retry_later, later.sent) == (1, 1)
    assert len(gateway.mails) == 1 and gateway.mailboxes()["ann@example.org"][0].subject == "Please reply"
    with sessions() as session:
        assert session.scalars(select(models.OutboundMessage.status)).all() == ["sent"]
