"""The reconciler without Prefect: each step as a function, and `run_reconcile` doing them all in order.

The Prefect flow (flows/reconcile.py) calls the same steps as tasks; tests and simulations call run_reconcile
directly, day by day, with a simulated `as_of`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from rollout.attendance.figures import AttendanceFigures, attendance_markdown
from rollout.attendance.teams import CollectReport, collect_attendance
from rollout.config.schema import Programme
from rollout.db.session import unit_of_work
from rollout.db.types import utcnow
from rollout.outbound.delivery import Deliverer, DeliveryReport
from rollout.outbound.emails import long_date
from rollout.outbound.gateway import Gateway
from rollout.reconcile.apply import ChangeReport, QueueReport, apply_changes, existing_keys, queue_outgoing
from rollout.reconcile.decide import Outgoing, decide_changes, decide_messages
from rollout.reconcile.messages import Message
from rollout.reconcile.rsvp import RsvpReport, sync_rsvps
from rollout.reconcile.state import load_snapshot

PURPOSE_WORDS = {
    "reminder": "workshop reminders",
    "follow_up": "follow-ups",
    "missed_workshop": "sorry we missed you",
    "action_reminder": "action reminders",
    "action_overdue": "overdue notices",
    "escalation": "escalations",
}


def record_changes(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> ChangeReport:
    """Create due follow-up actions, mark overdue ones, open, close and un-snooze escalations. One transaction."""
    with unit_of_work(sessions) as session:
        snapshot = load_snapshot(session, as_of)
        return apply_changes(session, decide_changes(snapshot, programme, as_of), as_of)


def queue_messages(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> QueueReport:
    """Queue every message due now and not queued before; drop queued ones no longer due. One transaction."""
    with unit_of_work(sessions) as session:
        snapshot = load_snapshot(session, as_of)
        return queue_outgoing(session, decide_messages(snapshot, programme, as_of), as_of)


def deliver(sessions: sessionmaker[Session], gateway: Gateway, as_of: dt.datetime | None = None) -> DeliveryReport:
    """Drain the outbox; with `as_of`, staleness and retry times are judged at that (simulated) moment."""
    return Deliverer(sessions, gateway, clock=(lambda: as_of) if as_of else None).run()


@dataclass(frozen=True)
class Preview:
    """What a reconcile at `as_of` would record and send, worked out in a transaction that is rolled back."""

    changes: ChangeReport
    outgoing: Outgoing
    new_messages: list[Message]  # not queued before


def preview(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> Preview:
    """A dry run of record_changes + queue_messages (without the RSVP sync, which needs Outlook): nothing is kept."""
    session = sessions()
    try:
        session.begin()
        decided = decide_changes(load_snapshot(session, as_of), programme, as_of)
        already = existing_keys(session, (m.key for m in decided.messages))
        overdue = [m for m in decided.messages if m.key not in already]
        changes = apply_changes(session, decided, as_of)
        outgoing = decide_messages(load_snapshot(session, as_of), programme, as_of)
        already = existing_keys(session, (m.key for m in outgoing.all_messages))
        return Preview(changes, outgoing, overdue + [m for m in outgoing.all_messages if m.key not in already])
    finally:
        session.rollback()
        session.close()


@dataclass
class ReconcileReport:
    as_of: dt.datetime
    rsvp: RsvpReport = field(default_factory=RsvpReport)
    attendance: CollectReport = field(default_factory=CollectReport)
    changes: ChangeReport = field(default_factory=ChangeReport)
    queue: QueueReport = field(default_factory=QueueReport)
    delivery: DeliveryReport | None = None

    @property
    def queued(self) -> Counter[str]:
        """Messages newly queued by this run, by purpose (overdue notices are queued with their marks)."""
        return self.changes.queued.by_purpose + self.queue.queued.by_purpose

    def summary(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "rsvp": self.rsvp.summary(),
            "attendance": self.attendance.summary(),
            "actions_created": self.changes.actions_created,
            "overdue_marked": self.changes.overdue_marked,
            "escalations_opened": self.changes.escalations_opened,
            "escalations_closed": len(self.changes.escalations_closed),
            "escalation_levels": len(self.queue.notices),
            "queued": dict(sorted(self.queued.items())),
            "superseded": self.queue.superseded,
            "delivery": self.delivery.summary() if self.delivery else "not run",
        }

    def markdown(self, programme: Programme, attendance: AttendanceFigures | None = None) -> str:
        local = self.as_of.astimezone(programme.tz)
        label = programme.programme.time_label or programme.programme.timezone
        queued = ", ".join(f"{PURPOSE_WORDS.get(p, p)} {n}" for p, n in sorted(self.queued.items())) or "none"
        changes = self.changes
        lines = [
            f"# Reconcile · {long_date(local)} {local:%H:%M} ({label})",
            "",
            "| step | today |",
            "|---|---|",
            f"| RSVPs | {self.rsvp.summary()} |",
            f"| Teams attendance | {self.attendance.summary()} |",
            f"| Follow-up actions created | {changes.actions_created} |",
            f"| Actions marked overdue | {changes.overdue_marked} |",
            f"| Escalations | opened {changes.escalations_opened}, closed {len(changes.escalations_closed)}, "
            f"snoozes ended {changes.snoozes_ended}, levels reached {len(self.queue.notices)} |",
            f"| Messages queued | {queued} |",
            f"| Queued messages dropped (no longer due) | {self.queue.superseded} |",
            f"| Delivery | {self.delivery.summary() if self.delivery else 'not run'} |",
        ]
        sections = [
            ("Responses changed", self.rsvp.changes),
            ("Attendance collected", self.attendance.collected),
            ("Escalation levels reached", self.queue.notices),
            ("Escalations closed", changes.escalations_closed),
            ("Not delivered", self.delivery.failures if self.delivery else []),
        ]
        for title, items in sections:
            if items:
                lines += ["", f"## {title}", *(f"- {item}" for item in items[:50])]
                if len(items) > 50:
                    lines.append(f"- … and {len(items) - 50} more")
        if attendance is not None:
            lines += ["", *attendance_markdown(attendance)]
        return "\n".join(lines) + "\n"


def run_reconcile(
    sessions: sessionmaker[Session],
    gateway: Gateway,
    programme: Programme,
    as_of: dt.datetime | None = None,
    *,
    send: bool = True,
) -> ReconcileReport:
    """One reconcile: RSVP sync, record changes, queue messages, deliver (unless `send` is False)."""
    now = (as_of or utcnow()).astimezone(dt.UTC)
    report = ReconcileReport(as_of=now)
    report.rsvp = sync_rsvps(sessions, gateway, programme, now)
    report.attendance = collect_attendance(sessions, gateway, programme, now)
    report.changes = record_changes(sessions, programme, now)
    report.queue = queue_messages(sessions, programme, now)
    if send:
        report.delivery = deliver(sessions, gateway, as_of)
    return report
