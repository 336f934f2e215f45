"""The daily reconcile's steps, in the one order they run (`STEPS`), and `run_reconcile` doing them without Prefect.

The Prefect flow (flows/reconcile.py) runs each of STEPS as a task, in this order; the dry run (`preview`) rehearses
those that can be rehearsed, in this order; tests and non-Prefect callers use run_reconcile. A new step is added
here, once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from rollout.attendance.figures import AttendanceFigures, attendance_markdown
from rollout.attendance.teams import CollectReport, collect_attendance
from rollout.config.schema import Programme
from rollout.db.session import unit_of_work
from rollout.outbound.delivery import Deliverer, DeliveryReport, LeaseHeld
from rollout.outbound.emails import long_date
from rollout.outbound.gateway import Gateway
from rollout.privacy import apply_retention_policy
from rollout.reconcile.apply import ChangeReport, QueueReport, apply_changes, existing_keys, queue_outgoing
from rollout.reconcile.decide import decide_changes, decide_messages
from rollout.reconcile.messages import Message
from rollout.reconcile.rsvp import RsvpReport, sync_rsvps
from rollout.reconcile.state import load_snapshot
from rollout.services import Services

log = logging.getLogger(__name__)

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
        return _record_changes_in(session, programme, as_of)[0]


def _record_changes_in(
    session: Session, programme: Programme, as_of: dt.datetime
) -> tuple[ChangeReport, list[Message]]:
    """record_changes in the caller's transaction; also returns the messages it queues that were not queued before
    (overdue notices are queued with their marks)."""
    decided = decide_changes(load_snapshot(session, as_of), programme, as_of)
    already = existing_keys(session, (m.key for m in decided.messages))
    return apply_changes(session, decided, as_of), [m for m in decided.messages if m.key not in already]


def queue_messages(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> QueueReport:
    """Queue every message due now and not queued before; drop queued ones no longer due. One transaction."""
    with unit_of_work(sessions) as session:
        snapshot = load_snapshot(session, as_of)
        return queue_outgoing(session, decide_messages(snapshot, programme, as_of), as_of)


def _due_messages_in(session: Session, programme: Programme, as_of: dt.datetime) -> list[Message]:
    """What queue_messages would queue now that was not queued before (decided, not rendered or queued)."""
    outgoing = decide_messages(load_snapshot(session, as_of), programme, as_of)
    already = existing_keys(session, (m.key for m in outgoing.all_messages))
    return [m for m in outgoing.all_messages if m.key not in already]


def deliver(sessions: sessionmaker[Session], gateway: Gateway, as_of: dt.datetime | None = None) -> DeliveryReport:
    """Drain the outbox; with `as_of`, staleness and retry times are judged at that (simulated) moment."""
    return Deliverer(sessions, gateway, clock=(lambda: as_of) if as_of else None).run()


@dataclass
class ReconcileReport:
    as_of: dt.datetime
    rsvp: RsvpReport = field(default_factory=RsvpReport)
    attendance: CollectReport = field(default_factory=CollectReport)
    changes: ChangeReport = field(default_factory=ChangeReport)
    queue: QueueReport = field(default_factory=QueueReport)
    delivery: DeliveryReport | None = None
    retention: dict[str, int] = field(default_factory=dict)  # what the retention policy erased, by kind

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
            "retention": dict(self.retention),
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
            f"| Personal data erased (retention) | {retention_words(self.retention)} |",
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


# --- the steps, in order: written here once ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the daily reconcile. `run` does it with a run's services at `as_of` (the Prefect flow runs it as
    a task named `name`); `record` puts its result in the run's report; `rehearse`, when the step can be tried
    without Microsoft 365, does it in the caller's transaction (rolled back by the dry run) and returns the
    messages it would queue that were not queued before."""

    name: str
    run: Callable[[Services, dt.datetime], Any]
    record: Callable[[ReconcileReport, Any], None] | None = None
    rehearse: Callable[[Session, Programme, dt.datetime, ReconcileReport], list[Message]] | None = None
    sends: bool = False  # sends what the outbox holds (left out by run_reconcile(send=False))
    retries: int = 0  # Prefect task retries: for reads only (a write is retried by the next run)
    tags: tuple[str, ...] = ()


def _sync_rsvps(services: Services, as_of: dt.datetime) -> RsvpReport:
    return sync_rsvps(services.sessions, services.gateway, services.programme, as_of)


def _collect_attendance(services: Services, as_of: dt.datetime) -> CollectReport:
    return collect_attendance(services.sessions, services.gateway, services.programme, as_of)


def _record_changes(services: Services, as_of: dt.datetime) -> ChangeReport:
    return record_changes(services.sessions, services.programme, as_of)


def _rehearse_changes(
    session: Session, programme: Programme, as_of: dt.datetime, report: ReconcileReport
) -> list[Message]:
    report.changes, new = _record_changes_in(session, programme, as_of)
    return new


def _queue_messages(services: Services, as_of: dt.datetime) -> QueueReport:
    return queue_messages(services.sessions, services.programme, as_of)


def _rehearse_queue(
    session: Session, programme: Programme, as_of: dt.datetime, _report: ReconcileReport
) -> list[Message]:
    return _due_messages_in(session, programme, as_of)


def _deliver(services: Services, _as_of: dt.datetime) -> DeliveryReport:
    # The services' clock, not `as_of`: a real run judges retries and staleness at the time it sends.
    try:
        return Deliverer(services.sessions, services.gateway, clock=services.clock).run()
    except LeaseHeld as exc:  # `rollout deliver` (or another run) is sending: it sends what this run queued
        log.warning("%s; its run will deliver what is queued", exc)
        return DeliveryReport()


def _apply_retention(services: Services, as_of: dt.datetime) -> dict[str, int]:
    return apply_retention_policy(services.sessions, services.programme, as_of)


def retention_words(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(counts.items()) if n) or "nothing due"


def _set(name: str) -> Callable[[ReconcileReport, Any], None]:
    return lambda report, result: setattr(report, name, result)


STEPS: tuple[Step, ...] = (
    # A read, safe to retry; it fails the run (nothing queued) rather than remind on stale replies.
    Step("sync-rsvps", _sync_rsvps, _set("rsvp"), retries=2, tags=("graph-read",)),
    # Reads Teams reports and records who came; a workshop whose report fails is retried by the next run.
    Step("collect-attendance", _collect_attendance, _set("attendance"), tags=("graph-read",)),
    Step("record-changes", _record_changes, _set("changes"), rehearse=_rehearse_changes),
    Step("queue-messages", _queue_messages, _set("queue"), rehearse=_rehearse_queue),
    Step("deliver-outbox", _deliver, _set("delivery"), sends=True, tags=("graph-delivery",)),
    # Last, after today's sends: erase what config [retention] says is due (rollout.privacy); idempotent.
    Step("apply-retention", _apply_retention, _set("retention")),
)


def run_reconcile(services: Services, as_of: dt.datetime | None = None, *, send: bool = True) -> ReconcileReport:
    """One reconcile without Prefect: every step of STEPS in order (delivery left out unless `send`)."""
    services = services.at(as_of)
    now = services.now()
    report = ReconcileReport(as_of=now)
    for step in STEPS:
        if step.sends and not send:
            continue
        result = step.run(services, now)
        if step.record is not None:
            step.record(report, result)
    return report


@dataclass(frozen=True)
class Preview:
    """What a reconcile at `as_of` would record and send, worked out in a transaction that is rolled back."""

    report: ReconcileReport
    new_messages: list[Message]  # not queued before

    @property
    def changes(self) -> ChangeReport:
        return self.report.changes


def preview(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> Preview:
    """A dry run of the steps that can be rehearsed (not the RSVP sync, which needs Outlook, nor delivery), in
    STEPS order in one transaction that is rolled back: nothing is kept."""
    report = ReconcileReport(as_of=as_of.astimezone(dt.UTC))
    new: list[Message] = []
    session = sessions()
    try:
        session.begin()
        for step in STEPS:
            if step.rehearse is not None:
                new += step.rehearse(session, programme, as_of, report)
        return Preview(report, new)
    finally:
        session.rollback()
        session.close()
