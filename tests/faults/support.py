"""Helpers for the outbox fault tests: queue mail, run `rollout deliver`, and count what recipients received.

Every check counts what the emulator's mailboxes hold (each message has its own recipient and a deterministic
Message-ID derived from its outbox key) and matches it against the outbox rows; nothing is taken on the
deliverer's word.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.m365.mail import message_id_for
from rollout.outbound.gateway import MailSpec, Recipient
from rollout.outbound.outbox import Intent, enqueue, mail_payload
from tests.conftest import ROOT

ORGANISER = "digital.health.hubs@example.org"  # config/waves.toml's organiser_mailbox
PURPOSE = "fault-test"


def recipient_of(n: int) -> str:
    return f"resident{n:04d}@fault.example"


def key_of(n: int) -> str:
    return f"{PURPOSE}/message-{n:04d}"


def queue_mail(sessions: sessionmaker[Session], count: int) -> list[str]:
    """`count` mail intents, each to its own recipient, enqueued the way every flow does it."""
    intents = []
    for n in range(count):
        mail = MailSpec(
            to=(Recipient(f"Resident {n}", recipient_of(n)),),
            subject=f"Your Digital Health Hub session ({n})",
            text=f"Reminder {n}: your session is on Tuesday.",
            html=f"<p>Reminder <b>{n}</b>: your session is on Tuesday.</p>",
        )
        payload = mail_payload(mail)
        intents.append(Intent(key_of(n), "mail", PURPOSE, payload, recipients=(recipient_of(n),)))
    with unit_of_work(sessions) as session:
        added = enqueue(session, intents)
    assert len(added) == count
    return added


def deliver_process(*args: str, stdout: int = subprocess.PIPE) -> subprocess.Popen[str]:
    """`rollout deliver` in its own process, with this test's ROLLOUT_* environment (database, emulator)."""
    return subprocess.Popen(
        [sys.executable, "-m", "rollout.cli.main", "deliver", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )


def graph_requests(emulator) -> list:  # type: ignore[no-untyped-def]
    return [r for r in emulator.requests if r.path.startswith("/v1.0/")]


def outbox_status(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        return Counter(session.scalars(select(models.OutboundMessage.status)))


def outbox_rows(sessions: sessionmaker[Session]) -> dict[str, str]:
    """key -> status of every fault-test row."""
    with sessions() as session:
        rows = session.execute(
            select(models.OutboundMessage.idempotency_key, models.OutboundMessage.status).where(
                models.OutboundMessage.purpose == PURPOSE
            )
        )
        return dict(rows.tuples().all())


@dataclass
class Tally:
    """What the recipients received, per outbox key."""

    received: Counter[str]  # key -> items delivered with that key's Message-ID to that key's recipient
    stray: list[str]  # items that match no key (or went to someone else)

    @property
    def duplicated(self) -> list[str]:
        return sorted(key for key, n in self.received.items() if n > 1)

    def lost(self, keys: list[str]) -> list[str]:
        return sorted(key for key in keys if self.received[key] == 0)


def tally(emulator, count: int) -> Tally:  # type: ignore[no-untyped-def]
    by_message_id = {message_id_for(key_of(n), ORGANISER): (key_of(n), recipient_of(n)) for n in range(count)}
    received: Counter[str] = Counter()
    stray = []
    for address, items in emulator.mailboxes().items():
        for item in items:
            expected = by_message_id.get(item.internet_message_id)
            if expected is None or expected[1] != address or item.kind != "mail":
                stray.append(f"{address}: {item.kind} {item.internet_message_id} {item.subject!r}")
                continue
            received[expected[0]] += 1
    return Tally(received, stray)


def assert_each_delivered_exactly_once(emulator, sessions: sessionmaker[Session], count: int) -> None:  # type: ignore[no-untyped-def]
    """0 lost, 0 duplicated, nothing stray, and every outbox row `sent` with the provider's id."""
    keys = [key_of(n) for n in range(count)]
    result = tally(emulator, count)
    assert result.lost(keys) == [], f"{len(result.lost(keys))} lost, e.g. {result.lost(keys)[:5]}"
    assert result.duplicated == [], f"{len(result.duplicated)} duplicated, e.g. {result.duplicated[:5]}"
    assert result.stray == [], result.stray[:5]
    assert sum(result.received.values()) == count
    with sessions() as session:
        rows = session.scalars(select(models.OutboundMessage).where(models.OutboundMessage.purpose == PURPOSE)).all()
    assert sorted(row.idempotency_key for row in rows) == keys
    not_sent = [(row.idempotency_key, row.status, row.last_error) for row in rows if row.status != "sent"]
    assert not_sent == []
    assert all(row.provider_id and row.sent_at for row in rows)
