"""What the simulation prints: a row per month as it goes, then the totals, read back from the database.

Times in the database are simulated ones (`sent_at` is the deliverer's as_of, `done_at` the partner's moment),
so months are the programme's months, not the seconds the simulation took.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout.attendance.figures import load_figures
from rollout.config.schema import Programme
from rollout.db import models
from rollout.planning.status import past_due
from rollout.reconcile.rsvp import horizon_days
from rollout_lab.simulation.ledger import DeliveryCheck


@dataclass(frozen=True)
class RunRecord:
    kind: str  # launch | reconcile | digest
    as_of: dt.datetime
    seconds: float
    summary: dict[str, object]
    reasons: list[str] = field(default_factory=list)  # why a reconcile ran (due.py)


@dataclass
class Month:
    label: str  # 2022-10
    runs: Counter[str] = field(default_factory=Counter)
    emails: Counter[str] = field(default_factory=Counter)  # by column
    happenings: Counter[str] = field(default_factory=Counter)

    COLUMNS = (
        ("runs", 5),
        ("invitations", 11),
        ("replies", 7),
        ("reminders", 9),
        ("follow-ups", 10),
        ("action chases", 13),
        ("escalations", 11),
        ("digests", 7),
        ("actions done", 12),
        ("hub moves", 9),
    )

    @classmethod
    def header(cls) -> str:
        return "month    " + "  ".join(f"{name:>{width}}" for name, width in cls.COLUMNS)

    def line(self) -> str:
        values = (
            sum(self.runs.values()),
            self.emails["invitations"],
            self.happenings["reply"],
            self.emails["reminders"],
            self.emails["follow-ups"],
            self.emails["action chases"],
            self.emails["escalations"],
            self.emails["digests"],
            self.happenings["action_done"],
            self.happenings["hub_moved"] + self.happenings["hub_created"],
        )
        return f"{self.label:<9}" + "  ".join(
            f"{v:>{width}}" for v, (_, width) in zip(values, self.COLUMNS, strict=True)
        )


COLUMN_OF_PURPOSE = {
    "reminder": "reminders",
    "follow_up": "follow-ups",
    "missed_workshop": "follow-ups",
    "action_reminder": "action chases",
    "action_overdue": "action chases",
    "escalation": "escalations",
    "digest": "digests",
}


def emails_between(session: Session, start: dt.datetime, end: dt.datetime) -> Counter[str]:
    """Deliveries (one per recipient) sent in [start, end), by timeline column."""
    Ob = models.OutboundMessage
    found: Counter[str] = Counter()
    for kind, purpose, recipients in session.execute(
        select(Ob.kind, Ob.purpose, Ob.recipients).where(Ob.status == "sent", Ob.sent_at >= start, Ob.sent_at < end)
    ).tuples():
        column = "invitations" if kind == "event.create" else COLUMN_OF_PURPOSE.get(purpose, purpose)
        found[column] += len(recipients) if isinstance(recipients, list) else 1
    return found


def month_start(programme: Programme, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day.replace(day=1), dt.time(0, 0), tzinfo=programme.tz).astimezone(dt.UTC)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


# --- totals ---------------------------------------------------------------------------------------------------------


@dataclass
class Totals:
    days: int
    runs: Counter[str]
    skipped_days: int
    events: int
    invitations: int
    responses: Counter[str]  # final response of every invitation
    emails: Counter[str]  # deliveries by purpose (reminder kinds split)
    outbox: Counter[str]  # rows by status
    actions: Counter[str]  # created, on time, late, never
    hubs_by_stage: dict[int, int]
    stage_moves: int
    new_hubs: int
    escalations: Counter[str]
    levels: Counter[int]
    digest_weeks: int
    happenings: Counter[str]
    check: DeliveryCheck
    seconds: float = 0.0
    attendance: dict[str, int] = field(default_factory=dict)  # attendance_totals()


def totals(
    session: Session,
    programme: Programme,
    runs: Iterable[RunRecord],
    days: int,
    happenings: Counter[str],
    check: DeliveryCheck,
) -> Totals:
    Ob, Iv, Ac, Hb, Es, Nt, Ch = (
        models.OutboundMessage,
        models.Invitation,
        models.Action,
        models.Hub,
        models.Escalation,
        models.EscalationNotice,
        models.HubStageChange,
    )
    runs = list(runs)
    emails: Counter[str] = Counter()
    events = invitations = 0
    for key, kind, purpose, recipients in session.execute(
        select(Ob.idempotency_key, Ob.kind, Ob.purpose, Ob.recipients).where(Ob.status == "sent")
    ).tuples():
        count = len(recipients) if isinstance(recipients, list) else 1
        if kind == "event.create":
            events += 1
            invitations += count
        elif kind == "mail":
            if purpose == "reminder":
                purpose = "please reply" if key.startswith("reminder:no-response:") else "see you there"
            emails[purpose] += count
        else:
            emails[kind] += count
    outbox = Counter(dict(session.execute(select(Ob.status, func.count()).group_by(Ob.status)).tuples().all()))
    responses = Counter(
        dict(
            session.execute(select(Iv.response, func.count()).where(Iv.status == "invited").group_by(Iv.response))
            .tuples()
            .all()
        )
    )
    actions: Counter[str] = Counter()
    for status, due, done_at in session.execute(select(Ac.status, Ac.due_date, Ac.done_at)).tuples():
        actions["created"] += 1
        if status != "done" or done_at is None:
            actions["still open"] += 1
        elif not past_due(due, done_at.astimezone(programme.tz).date()):
            actions["done on time"] += 1
        else:
            actions["done late"] += 1
    stages = dict(session.execute(select(Hb.stage, func.count()).group_by(Hb.stage)).tuples().all())
    moves = session.scalar(
        select(func.count()).select_from(Ch).where(Ch.source == "simulation", Ch.from_stage.is_not(None))
    )
    new_hubs = session.scalar(
        select(func.count()).select_from(Ch).where(Ch.source == "simulation", Ch.from_stage.is_(None))
    )
    escalations: Counter[str] = Counter()
    for reason, status, acknowledged_at in session.execute(select(Es.reason, Es.status, Es.acknowledged_at)).tuples():
        escalations["opened"] += 1
        escalations[reason] += 1
        if acknowledged_at is not None:
            escalations["acknowledged"] += 1
        if status == "closed":
            escalations["resolved"] += 1
        else:
            escalations["still open"] += 1
    levels = Counter(dict(session.execute(select(Nt.level, func.count()).group_by(Nt.level)).tuples().all()))
    kinds = Counter(r.kind for r in runs)
    return Totals(
        days=days,
        runs=kinds,
        skipped_days=days - kinds["reconcile"],
        events=events,
        invitations=invitations,
        responses=responses,
        emails=emails,
        outbox=outbox,
        actions=actions,
        hubs_by_stage={int(k): int(v) for k, v in stages.items()},
        stage_moves=int(moves or 0),
        new_hubs=int(new_hubs or 0),
        escalations=escalations,
        levels=levels,
        digest_weeks=kinds["digest"],
        happenings=happenings,
        check=check,
        attendance=attendance_totals(session, programme, runs),
    )


def attendance_totals(session: Session, programme: Programme, runs: list[RunRecord]) -> dict[str, int]:
    """Attendance over every workshop held: the figures, how they were recorded, and what was left to resolve."""
    At, Co, Um = models.Attendance, models.AttendanceCollection, models.UnmatchedAttendee
    until = max((r.as_of for r in runs), default=dt.datetime.now(dt.UTC))
    figures = load_figures(session, programme, until)
    t = figures.totals()
    found = {
        "workshops": len(figures.workshops),
        "known": sum(1 for w in figures.workshops if w.known),
        "invited": t.invited,
        "accepted": t.accepted,
        "attended": t.attended,
        "no_shows": t.no_shows,
        "repeat_no_shows": len(figures.repeat_no_shows),
        "unmatched": int(session.scalar(select(func.count()).select_from(Um)) or 0),
    }
    for source, n in session.execute(select(At.source, func.count()).group_by(At.source)).tuples():
        found[f"recorded_{source}"] = int(n)
    for status, n in session.execute(select(Co.status, func.count()).group_by(Co.status)).tuples():
        found[f"reports_{status}"] = int(n)
    return found


def attendance_line(a: dict[str, int]) -> str:
    return (
        f"attendance: {a.get('workshops', 0)} workshops held ({a.get('known', 0)} with attendance known: "
        f"{a.get('reports_collected', 0)} Teams reports collected, {a.get('reports_gave_up', 0)} given up); "
        f"invited {n(a.get('invited', 0))}, accepted {n(a.get('accepted', 0))}, attended {n(a.get('attended', 0))}, "
        f"no-shows {n(a.get('no_shows', 0))}, repeat no-shows {n(a.get('repeat_no_shows', 0))}; "
        f"recorded from Teams {n(a.get('recorded_teams', 0))}, sign-in sheets {n(a.get('recorded_import', 0))}; "
        f"unmatched Teams attendees {n(a.get('unmatched', 0))}"
    )


def n(value: int) -> str:
    return f"{value:,}"


def render_totals(t: Totals, programme: Programme) -> list[str]:
    e = t.emails
    levels = programme.escalation.levels
    level_words = ", ".join(
        f"{level.to.replace('_', ' ')} {n(t.levels.get(i, 0))}" for i, level in enumerate(levels, start=1)
    )
    stages = ", ".join(f"{s.number}: {t.hubs_by_stage.get(s.number, 0)}" for s in programme.stages)
    no_answer = t.responses.get("none", 0)
    horizon = horizon_days(programme)
    lines = [
        f"flow runs: {t.runs['launch']} launch-wave, {n(t.runs['reconcile'])} reconcile "
        f"({n(t.skipped_days)} of {n(t.days)} days had nothing due and were skipped), "
        f"{t.runs['digest']} weekly-digest",
        f"events: {t.events} workshops in Outlook",
        f"invitations: {n(t.invitations)}",
        f"replies recorded: accepted {n(t.responses.get('accepted', 0))}, "
        f"tentative {n(t.responses.get('tentative', 0))}, declined {n(t.responses.get('declined', 0))}, "
        f"none {n(no_answer)} (replies are read once a workshop is within {horizon} days)",
        f"reminders: {n(e['please reply'] + e['see you there'])} (please reply {n(e['please reply'])}, "
        f"see you there {n(e['see you there'])})",
        f"follow-ups: {n(e['follow_up'])}, sorry we missed you: {n(e['missed_workshop'])}",
        attendance_line(t.attendance),
        f"action reminders: {n(e['action_reminder'])}, overdue notices: {n(e['action_overdue'])}",
        f"actions: {n(t.actions['created'])} created: {n(t.actions['done on time'])} done on time, "
        f"{n(t.actions['done late'])} done late, {n(t.actions['still open'])} still open at the end",
        f"hubs: {n(t.stage_moves)} stage moves, {t.new_hubs} new hubs; by stage at the end: {stages}",
        f"escalations: {n(t.escalations['opened'])} stalls (no progress {n(t.escalations['no_progress'])}, "
        f"overdue actions {n(t.escalations['overdue_actions'])}): {n(t.escalations['resolved'])} resolved by "
        f"progress, {n(t.escalations['acknowledged'])} acknowledged, {n(t.escalations['still open'])} open at the end; "
        f"{n(e['escalation'])} emails ({level_words})",
        f"digests: {n(e['digest'])} emails over {t.digest_weeks} weeks",
        "outbox: " + ", ".join(f"{status} {n(count)}" for status, count in sorted(t.outbox.items())),
        f"delivery check: {n(t.check.intended)} deliveries intended, {n(t.check.received)} received",
        f"duplicates: {t.check.duplicates}",
        f"lost: {t.check.lost}",
        f"unexpected: {t.check.unexpected}",
    ]
    unsent = sum(t.check.not_delivered.values())
    if unsent:
        lines.append("not delivered: " + ", ".join(f"{k} {v}" for k, v in sorted(t.check.not_delivered.items())))
    lines += [f"  {example}" for example in t.check.examples]
    return lines
