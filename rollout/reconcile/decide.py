"""The reconciler's decisions: two pure functions of (snapshot, programme, now).

`decide_changes` says which records change (actions created, overdue marks, escalations opened, closed, out of
snooze); `decide_messages`, on a snapshot taken after those changes, says which emails are due (each under a
deterministic key), which escalation levels are reached, and which queued-but-undelivered messages are no longer
due (a workshop moved or cancelled, an action done, a stall resolved) and must be dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rollout.config.schema import Programme
from rollout.reconcile import keys
from rollout.reconcile.actions import OverdueMark, action_reminders, overdue_marks, overdue_notices
from rollout.reconcile.attended import missed_messages
from rollout.reconcile.clock import Clock
from rollout.reconcile.follow_ups import NewAction, follow_up_messages, new_actions
from rollout.reconcile.messages import Message
from rollout.reconcile.reminders import workshop_reminders
from rollout.reconcile.stalls import Notice, StallChanges, escalation_notices, stall_changes
from rollout.reconcile.state import EscalationRow, PendingMessage, Snapshot


@dataclass(frozen=True)
class Changes:
    new_actions: list[NewAction]
    overdue: list[OverdueMark]
    stalls: StallChanges
    messages: list[Message]  # the owners' overdue notices, queued with the marks


@dataclass(frozen=True)
class Superseded:
    outbox_id: int
    key: str
    why: str


@dataclass(frozen=True)
class Outgoing:
    messages: list[Message]  # workshop reminders, follow-ups, action reminders
    notices: list[Notice]  # escalation levels reached, each with its messages
    superseded: list[Superseded]

    @property
    def all_messages(self) -> list[Message]:
        return self.messages + [m for n in self.notices for m in n.messages]


def decide_changes(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> Changes:
    overdue = overdue_marks(snapshot, programme, now)
    return Changes(
        new_actions=new_actions(snapshot, programme, now),
        overdue=overdue,
        stalls=stall_changes(snapshot, programme, now),
        messages=overdue_notices(snapshot, programme, now, overdue),
    )


def decide_messages(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> Outgoing:
    follow_ups = follow_up_messages(snapshot, programme, now)
    messages = [
        *workshop_reminders(snapshot, programme, now),
        *follow_ups,
        *missed_messages(snapshot, programme, now, {m.key for m in follow_ups}),
        *action_reminders(snapshot, programme, now),
    ]
    notices = escalation_notices(snapshot, programme, now)
    return Outgoing(messages, notices, superseded(snapshot, programme, now, messages))


def superseded(snapshot: Snapshot, programme: Programme, now: dt.datetime, due: list[Message]) -> list[Superseded]:
    """Queued messages that are no longer due. Reminders, follow-ups and action reminders are decided afresh every
    run, so one not decided now is not wanted any more; an overdue notice is unwanted once its action is done; an
    escalation message once its stall is closed, acknowledged, or snoozed."""
    wanted = {m.key for m in due}
    today = Clock.of(programme, now).today
    escalations = {e.id: e for e in snapshot.escalations}
    dropped = []
    for row in snapshot.pending:
        why = _unwanted(row, wanted, snapshot, escalations, today)
        if why:
            dropped.append(Superseded(row.id, row.key, why))
    return dropped


def _unwanted(
    row: PendingMessage,
    wanted: set[str],
    snapshot: Snapshot,
    escalations: dict[int, EscalationRow],
    today: dt.date,
) -> str | None:
    if row.purpose == "action_overdue":
        action_id = keys.action_id_of(row.key)
        action = snapshot.actions.get(action_id) if action_id is not None else None
        return None if action is not None and action.status == "open" else "superseded: the action is done"
    if row.purpose != "escalation":
        return None if row.key in wanted else "superseded: no longer due"
    if keys.is_lead_escalations(row.key):
        # A lead's daily email covers several stalls: it is still worth sending while one of them is live.
        covered = [e for e in escalations.values() if row.key in e.notice_keys]
        live = [e for e in covered if _escalation_unwanted(e, today) is None]
        return None if live else "superseded: every stall it reports is resolved, acknowledged or snoozed"
    escalation_id = keys.escalation_id_of(row.key)
    return _escalation_unwanted(escalations.get(escalation_id) if escalation_id is not None else None, today)


def _escalation_unwanted(escalation: EscalationRow | None, today: dt.date) -> str | None:
    if escalation is None or escalation.status == "closed":
        return "superseded: the stall is resolved"
    if escalation.status == "acknowledged":
        return "superseded: the escalation was acknowledged"
    if escalation.status == "snoozed" and escalation.snoozed_until and today < escalation.snoozed_until:
        return f"superseded: snoozed until {escalation.snoozed_until}"
    return None
