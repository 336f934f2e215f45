"""Writing decisions: records first (actions, overdue marks, escalations), then the outbox.

Inserts use ON CONFLICT DO NOTHING on the natural keys (Action.key, the escalation's hub/start/reason, the
outbox's idempotency key), so two runs deciding the same thing store it once.
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

from rollout import progress
from rollout.db import models
from rollout.outbox import enqueue
from rollout.reconcile.decide import Changes, Outgoing
from rollout.reconcile.messages import Message

CHUNK = 500  # keys per IN (...) and rows per insert: well inside SQLite's variable limit


@dataclass
class ChangeReport:
    actions_created: int = 0
    overdue_marked: int = 0
    escalations_opened: int = 0
    escalations_closed: list[str] = field(default_factory=list)  # "#12: progress: at stage 2 since ..."
    snoozes_ended: int = 0


@dataclass
class QueueReport:
    queued: Counter[str] = field(default_factory=Counter)  # purpose -> messages newly queued
    queued_keys: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # "escalation #3 level 2 (lcp_lead)"
    superseded: int = 0


def _insert(session: Session, model: type[models.Base]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


T = TypeVar("T")


def _chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def apply_changes(session: Session, changes: Changes, at: dt.datetime) -> ChangeReport:
    report = ChangeReport()
    rows = [
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
    for chunk in _chunks(rows):
        session.execute(_insert(session, models.Action).on_conflict_do_nothing(index_elements=["key"]), chunk)
    report.actions_created = len(rows)  # decided against the snapshot: none of these keys existed
    report.overdue_marked = progress.mark_actions_overdue(
        session, ((m.action_id, m.since) for m in changes.overdue), at=at
    )

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
    for batch in _chunks(opened):
        session.execute(
            _insert(session, models.Escalation).on_conflict_do_nothing(
                index_elements=["hub_id", "stalled_since", "reason"]
            ),
            batch,
        )
    report.escalations_opened = len(opened)
    closing = {c.escalation_id: c.reason for c in stalls.closed}
    touched = set(closing) | set(stalls.snooze_ended)
    if touched:
        escalations = session.scalars(select(models.Escalation).where(models.Escalation.id.in_(list(touched))))
        for escalation in escalations:
            if escalation.id in closing:
                if progress.close_escalation(session, escalation, closing[escalation.id], at=at):
                    report.escalations_closed.append(f"#{escalation.id}: {closing[escalation.id]}")
            elif progress.end_snooze(session, escalation, at=at):
                report.snoozes_ended += 1
    session.flush()
    return report


def existing_keys(session: Session, candidates: Iterable[str]) -> set[str]:
    keys = sorted(set(candidates))
    found: set[str] = set()
    column = models.OutboundMessage.idempotency_key
    for chunk in _chunks(keys):
        found.update(session.scalars(select(column).where(column.in_(list(chunk)))))
    return found


def queue_outgoing(session: Session, outgoing: Outgoing, at: dt.datetime) -> QueueReport:
    """Record the escalation levels reached, queue every message not queued before (rendering only those), and
    drop queued messages that are no longer due."""
    report = QueueReport()
    if outgoing.notices:
        levels: dict[int, int] = {}
        for notice in outgoing.notices:
            session.execute(
                _insert(session, models.EscalationNotice).on_conflict_do_nothing(
                    index_elements=["escalation_id", "level"]
                ),
                [
                    {
                        "escalation_id": notice.escalation_id,
                        "level": notice.level,
                        "sent_to": notice.sent_to,
                        "message_key": notice.key,
                        "created_at": at,
                    }
                ],
            )
            levels[notice.escalation_id] = max(levels.get(notice.escalation_id, 0), notice.level)
            report.notices.append(f"escalation #{notice.escalation_id} level {notice.level} ({notice.sent_to})")
        for escalation in session.scalars(select(models.Escalation).where(models.Escalation.id.in_(list(levels)))):
            escalation.level = max(escalation.level, levels[escalation.id])

    messages = outgoing.all_messages
    already = existing_keys(session, (m.key for m in messages))
    fresh: list[Message] = []
    seen: set[str] = set()
    for message in messages:
        if message.key not in already and message.key not in seen:
            seen.add(message.key)
            fresh.append(message)
    for chunk in _chunks(fresh):
        added = set(enqueue(session, [m.render() for m in chunk]))
        for message in chunk:
            if message.key in added:
                report.queued[message.purpose] += 1
                report.queued_keys.append(message.key)

    if outgoing.superseded:
        reasons = {s.outbox_id: s.why for s in outgoing.superseded}
        rows = session.scalars(
            select(models.OutboundMessage).where(
                models.OutboundMessage.id.in_(list(reasons)), models.OutboundMessage.status == "pending"
            )
        )
        for row in rows:
            row.status, row.last_error = "dropped", reasons[row.id]
            report.superseded += 1
    session.flush()
    return report
