"""Writing decisions: records first (actions, overdue marks with their notices, escalations), then the outbox.

Inserts use ON CONFLICT DO NOTHING on the natural keys (Action.key, the escalation's hub/start/reason, the
notice's escalation/level, the outbox's idempotency key), so two runs deciding the same thing store it once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollout.checkin.email_links import email_links
from rollout.db import models
from rollout.outbound.outbox import enqueue
from rollout.programme import progress
from rollout.reconcile.decide import Changes, Outgoing
from rollout.reconcile.messages import Message

# Values per IN (...): inside SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
KEYS_PER_QUERY = 5000

T = TypeVar("T")


@dataclass
class Queued:
    by_purpose: Counter[str] = field(default_factory=Counter)  # purpose -> messages newly queued
    keys: list[str] = field(default_factory=list)

    def add(self, other: Queued) -> None:
        self.by_purpose.update(other.by_purpose)
        self.keys += other.keys


@dataclass
class ChangeReport:
    actions_created: int = 0
    overdue_marked: int = 0
    escalations_opened: int = 0
    escalations_closed: list[str] = field(default_factory=list)  # "#12: progress: at stage 2 since ..."
    snoozes_ended: int = 0
    queued: Queued = field(default_factory=Queued)  # the owners' overdue notices


@dataclass
class QueueReport:
    queued: Queued = field(default_factory=Queued)
    notices: list[str] = field(default_factory=list)  # "escalation #3 level 2 (lcp_lead)"
    deferred: list[str] = field(default_factory=list)  # lead levels left for the next day's email
    superseded: int = 0


def _insert(session: Session, model: type[models.Base]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), KEYS_PER_QUERY):
        yield items[start : start + KEYS_PER_QUERY]


def existing_keys(session: Session, candidates: Iterable[str]) -> set[str]:
    keys = sorted(set(candidates))
    found: set[str] = set()
    column = models.OutboundMessage.idempotency_key
    for chunk in _chunks(keys):
        found.update(session.scalars(select(column).where(column.in_(list(chunk)))))
    return found


def enqueue_new(session: Session, messages: Sequence[Message], at: dt.datetime) -> Queued:
    """Queue the messages whose keys are not in the outbox yet, created `at`; only those are rendered."""
    queued = Queued()
    already = existing_keys(session, (m.key for m in messages))
    fresh: dict[str, Message] = {}
    for message in messages:
        if message.key not in already:
            fresh.setdefault(message.key, message)
    links = email_links() if fresh else None  # the check-in secret read once for all of them
    for chunk in _chunks(list(fresh.values())):
        added = set(enqueue(session, [m.render(links) for m in chunk], at=at))
        for message in chunk:
            if message.key in added:
                queued.by_purpose[message.purpose] += 1
                queued.keys.append(message.key)
    return queued


def apply_changes(session: Session, changes: Changes, at: dt.datetime) -> ChangeReport:
    report = ChangeReport()
    actions = [
        {
            "key": a.key,
            "workshop_id": a.workshop_id,
            "lcp_id": a.lcp_id,
            "organisation_id": a.organisation_id,
            "title": a.title,
            "owner_role": a.owner_role,
            "due_date": a.due_date,
            "status": "open",
            "created_at": at,
        }
        for a in changes.new_actions
    ]
    if actions:
        session.execute(_insert(session, models.Action).on_conflict_do_nothing(index_elements=["key"]), actions)
    report.actions_created = len(actions)  # decided against the snapshot: none of these keys existed
    report.overdue_marked = progress.mark_actions_overdue(
        session, ((m.action_id, m.since) for m in changes.overdue), at=at
    )
    report.queued = enqueue_new(session, changes.messages, at)

    stalls = changes.stalls
    opened = [
        {
            "hub_id": s.hub_id,
            "reason": s.reason,
            "stalled_since": s.stalled_since,
            "level": 0,
            "status": "open",
            "created_at": at,
        }
        for s in stalls.opened
    ]
    if opened:
        session.execute(
            _insert(session, models.Escalation).on_conflict_do_nothing(
                index_elements=["hub_id", "stalled_since", "reason"]
            ),
            opened,
        )
    report.escalations_opened = len(opened)
    closing = {c.escalation_id: c.reason for c in stalls.closed}
    touched = sorted(set(closing) | set(stalls.snooze_ended))
    for chunk in _chunks(touched):
        for escalation in session.scalars(select(models.Escalation).where(models.Escalation.id.in_(list(chunk)))):
            if escalation.id in closing:
                if progress.close_escalation(session, escalation, closing[escalation.id], at=at):
                    report.escalations_closed.append(f"#{escalation.id}: {closing[escalation.id]}")
            elif progress.end_snooze(session, escalation, at=at):
                report.snoozes_ended += 1
    session.flush()
    return report


def queue_outgoing(session: Session, outgoing: Outgoing, at: dt.datetime) -> QueueReport:
    """Record the escalation levels reached, queue every message not queued before, and drop queued messages that
    are no longer due."""
    report = QueueReport()
    # A lead's email for today is already queued: a lead level reached since then waits for tomorrow's email
    # (one email a day), so its notice is not recorded now and tomorrow's run decides it again.
    lead_keys = existing_keys(session, (n.key for n in outgoing.notices if n.sent_to == "lcp_lead"))
    deferred = [n for n in outgoing.notices if n.sent_to == "lcp_lead" and n.key in lead_keys]
    notices = [n for n in outgoing.notices if n not in deferred]
    report.deferred = [f"escalation #{n.escalation_id} level {n.level} (lcp_lead): tomorrow's email" for n in deferred]
    if notices:
        session.execute(
            _insert(session, models.EscalationNotice).on_conflict_do_nothing(index_elements=["escalation_id", "level"]),
            [
                {
                    "escalation_id": n.escalation_id,
                    "level": n.level,
                    "sent_to": n.sent_to,
                    "message_key": n.key,
                    "created_at": at,
                }
                for n in notices
            ],
        )
        levels: dict[int, int] = {}
        for notice in notices:
            levels[notice.escalation_id] = max(levels.get(notice.escalation_id, 0), notice.level)
            report.notices.append(f"escalation #{notice.escalation_id} level {notice.level} ({notice.sent_to})")
        for chunk in _chunks(sorted(levels)):
            for escalation in session.scalars(select(models.Escalation).where(models.Escalation.id.in_(list(chunk)))):
                escalation.level = max(escalation.level, levels[escalation.id])

    report.queued = enqueue_new(session, [*outgoing.messages, *(m for n in notices for m in n.messages)], at)

    reasons = {s.outbox_id: s.why for s in outgoing.superseded}
    for chunk in _chunks(sorted(reasons)):
        rows = session.scalars(
            select(models.OutboundMessage).where(
                models.OutboundMessage.id.in_(list(chunk)), models.OutboundMessage.status == "pending"
            )
        )
        for row in rows:
            row.status, row.last_error = "dropped", reasons[row.id]
            report.superseded += 1
    session.flush()
    return report
