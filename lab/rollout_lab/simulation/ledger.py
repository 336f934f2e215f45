"""Exactly once, counted: what the database intended against what the recipients' mailboxes actually received.

Every outbox row the deliverer marked `sent` intends one item in each recipient's mailbox:
- mail: an item carrying the Message-ID the gateway derives from the row's key (rollout.m365.mail.message_id_for);
- event.create / event.update / event.cancel: an invitation / update / cancellation for that workshop's event.

An intended item that no mailbox holds is lost; a second copy of one is a duplicate; an item nobody intended
(no row for its Message-ID or event) is unexpected. Rows dropped as no longer due were never meant to arrive.
A sent row whose recipients the retention policy has since erased (rollout.privacy) still names its Message-ID or
event: what arrived for it counts as intended, once per address (a second copy is still a duplicate).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_emulator import MailboxItem
from rollout.db import models
from rollout.m365.mail import message_id_for

Delivery = tuple[str, str, str]  # (kind, Message-ID or event id, recipient)
EVENT_KINDS = {"event.create": "invitation", "event.update": "update", "event.cancel": "cancellation"}


@dataclass
class DeliveryCheck:
    intended: int = 0
    received: int = 0
    lost: int = 0
    duplicates: int = 0
    unexpected: int = 0
    not_delivered: Counter[str] = field(default_factory=Counter)  # outbox rows pending, sending or failed
    examples: list[str] = field(default_factory=list)  # a few of the problems, for people

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicates or self.unexpected or sum(self.not_delivered.values()))


def intended(session: Session, organiser: str) -> tuple[Counter[Delivery], Counter[str], set[tuple[str, str]]]:
    """What the outbox says was sent, one entry per recipient; the rows that were not (by status); and the
    (kind, reference) of sent rows whose recipients were erased under the retention policy."""
    Ob, Wk = models.OutboundMessage, models.Workshop
    expected: Counter[Delivery] = Counter()
    events: dict[int | None, str | None] = dict(session.execute(select(Wk.id, Wk.event_id)).tuples().all())
    unsent: Counter[str] = Counter()
    erased: set[tuple[str, str]] = set()
    for key, kind, status, recipients, workshop_id, provider_id in session.execute(
        select(Ob.idempotency_key, Ob.kind, Ob.status, Ob.recipients, Ob.workshop_id, Ob.provider_id)
    ).tuples():
        if status in ("pending", "sending", "failed"):
            unsent[status] += 1
        if status != "sent":
            continue
        # mail: the Message-ID the gateway derives from the key; events: the event's id (the row's, or its workshop's)
        ref = message_id_for(key, organiser) if kind == "mail" else provider_id or events.get(workshop_id) or ""
        label = "mail" if kind == "mail" else EVENT_KINDS[kind]
        if not _as_list(recipients):
            erased.add((label, ref.lower()))
        expected.update((label, ref.lower(), str(r).lower()) for r in _as_list(recipients))
    return expected, unsent, erased


def received(mailboxes: Mapping[str, Sequence[MailboxItem]]) -> Counter[Delivery]:
    got: Counter[Delivery] = Counter()
    for address, items in mailboxes.items():
        for item in items:
            ref = item.internet_message_id if item.kind == "mail" else (item.event_id or "")
            got[(item.kind, ref.lower(), address.lower())] += 1
    return got


def check_delivery(
    session: Session, mailboxes: Mapping[str, Sequence[MailboxItem]], organiser: str, *, examples: int = 5
) -> DeliveryCheck:
    expected, unsent, erased = intended(session, organiser)
    got = received(mailboxes)
    for delivery in got:
        if delivery not in expected and delivery[:2] in erased:
            expected[delivery] = 1  # intended for this address; its row no longer says who
    check = DeliveryCheck(intended=sum(expected.values()), received=sum(got.values()), not_delivered=unsent)
    for delivery, count in expected.items():
        arrived = got.get(delivery, 0)
        if arrived < count:
            check.lost += count - arrived
            _example(check, examples, f"lost: {delivery[0]} {delivery[1]} to {delivery[2]}")
        elif arrived > count:
            check.duplicates += arrived - count
            _example(check, examples, f"duplicate: {delivery[0]} {delivery[1]} to {delivery[2]} ({arrived} copies)")
    for delivery, count in got.items():
        if delivery not in expected:
            check.unexpected += count
            _example(check, examples, f"unexpected: {delivery[0]} {delivery[1]} to {delivery[2]}")
    return check


def _example(check: DeliveryCheck, limit: int, text: str) -> None:
    if len(check.examples) < limit:
        check.examples.append(text)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []
