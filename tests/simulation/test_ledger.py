"""The exactly-once check: outbox rows marked sent against what each recipient's mailbox holds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from graph_emulator import MailboxItem
from rollout.db.session import unit_of_work
from rollout.m365.mail import message_id_for
from rollout.outbound.outbox import Intent, enqueue
from rollout_lab.simulation.ledger import check_delivery

ORGANISER = "hubs@example.org"
NOW = dt.datetime(2022, 10, 4, 6, tzinfo=dt.UTC)


def mail(address: str, key: str, number: int = 1) -> MailboxItem:
    return MailboxItem(number, "mail", key, ORGANISER, (address,), (), NOW, "", "", message_id_for(key, ORGANISER))


def sent(sessions: sessionmaker[Session], *rows: tuple[str, str]) -> None:
    with unit_of_work(sessions) as session:
        enqueue(session, [Intent(key, "mail", "test", {}, recipients=(to,)) for key, to in rows])
        for row in session.query(__import__("rollout.db.models", fromlist=["x"]).OutboundMessage):
            row.status = "sent"


def test_every_intended_item_once_is_clean(sessions: sessionmaker[Session]) -> None:
    sent(sessions, ("k1", "a@x.org"), ("k2", "B@x.org"))
    with sessions() as session:
        check = check_delivery(
            session, {"a@x.org": [mail("a@x.org", "k1")], "b@x.org": [mail("b@x.org", "k2")]}, ORGANISER
        )
    assert (check.intended, check.received, check.lost, check.duplicates, check.unexpected) == (2, 2, 0, 0, 0)
    assert check.ok


def test_a_second_copy_is_a_duplicate_a_missing_one_is_lost_a_stray_one_unexpected(
    sessions: sessionmaker[Session],
) -> None:
    sent(sessions, ("k1", "a@x.org"), ("k2", "b@x.org"))
    mailboxes = {
        "a@x.org": [mail("a@x.org", "k1"), mail("a@x.org", "k1", 2), mail("a@x.org", "never-queued", 3)],
        "b@x.org": [],
    }
    with sessions() as session:
        check = check_delivery(session, mailboxes, ORGANISER)
    assert (check.lost, check.duplicates, check.unexpected) == (1, 1, 1)
    assert not check.ok
    assert any(e.startswith("lost: mail") and "b@x.org" in e for e in check.examples)


def test_rows_not_delivered_fail_the_check(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        enqueue(session, [Intent("k1", "mail", "test", {}, recipients=("a@x.org",))])
    with sessions() as session:
        check = check_delivery(session, {}, ORGANISER)
    assert check.intended == 0 and check.not_delivered == {"pending": 1}
    assert not check.ok


def test_a_row_whose_recipients_retention_erased_still_counts_once_per_address(
    sessions: sessionmaker[Session],
) -> None:
    from rollout.db import models

    sent(sessions, ("k1", "a@x.org"), ("k2", "b@x.org"))
    with unit_of_work(sessions) as session:
        for row in session.query(models.OutboundMessage):
            row.recipients = []  # what rollout.privacy leaves of a delivered message after the retention period
    mailboxes = {"a@x.org": [mail("a@x.org", "k1")], "b@x.org": [mail("b@x.org", "k2"), mail("b@x.org", "k2", 2)]}
    with sessions() as session:
        check = check_delivery(session, mailboxes, ORGANISER)
    assert (check.intended, check.received, check.lost, check.duplicates, check.unexpected) == (2, 3, 0, 1, 0)
