"""Collecting Teams attendance for online workshops that have ended, through the gateway.

Each reconcile asks for every online workshop that has ended and whose window (`attendance.collect_for_days`
after its date) is open, until a report exists: reports appear only after a meeting ends, an in-progress meeting
has an empty one, and a meeting nobody joined has none. Every report is read (rejoining makes several): their
records are united, one attendance per contact, matched by address (case-insensitively). Records matching no
contact, or with no address, are kept as unmatched attendees for a person to resolve (`rollout attendance list`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.attendance.record import contacts_by_email, existing, record
from rollout.config.schema import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.outbound.gateway import AttendanceRecord, AttendanceReport, Gateway, GraphError

log = logging.getLogger("rollout.attendance")

BY = "Microsoft Teams"


@dataclass(frozen=True)
class Due:
    workshop_id: int
    label: str  # wave-1 workshop 2
    event_id: str
    last_day: dt.date  # the last local day to keep asking


@dataclass
class CollectReport:
    collected: list[str] = field(default_factory=list)  # "wave-1 workshop 2: 14 attended, 1 unmatched"
    waiting: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{len(self.collected)} collected",
            f"{len(self.waiting)} waiting for a report",
            f"{len(self.gave_up)} given up",
        ]
        if self.errors:
            parts.append(f"{len(self.errors)} failed")
        return ", ".join(parts)


def due_collections(session: Session, programme: Programme, as_of: dt.datetime) -> list[Due]:
    """Online workshops that have ended, whose collection window is open and which have no report yet."""
    Wk, Co = models.Workshop, models.AttendanceCollection
    waves = {w.id: w for w in programme.waves}
    window = dt.timedelta(days=programme.attendance.collect_for_days)
    done = set(session.scalars(select(Co.workshop_id).where(Co.status.in_(("collected", "gave_up")))))
    found = []
    for workshop in session.scalars(
        select(Wk).where(
            Wk.format == "teams",
            Wk.status == "scheduled",
            Wk.event_id.is_not(None),
            Wk.ends_at <= as_of,
            Wk.ends_at >= as_of - window - dt.timedelta(days=2),
        )
    ):
        wave = waves.get(workshop.wave_id)
        if wave is None or workshop.number in wave.cancelled_workshops or workshop.id in done:
            continue
        last_day = workshop.starts_at.astimezone(programme.tz).date() + window
        assert workshop.event_id is not None
        found.append(Due(workshop.id, f"{workshop.wave_id} workshop {workshop.number}", workshop.event_id, last_day))
    return sorted(found, key=lambda d: d.workshop_id)


def collect_attendance(
    sessions: sessionmaker[Session], gateway: Gateway, programme: Programme, as_of: dt.datetime
) -> CollectReport:
    """One attempt per due workshop; a failure is reported and retried next run, never fatal to the run."""
    report = CollectReport()
    today = as_of.astimezone(programme.tz).date()
    with sessions() as session:
        due = due_collections(session, programme, as_of)
    for item in due:
        try:
            outcome = _collect_one(sessions, gateway, programme, item, as_of, today)
        except GraphError as error:
            log.warning("attendance for %s: %s", item.label, error)
            _note_error(sessions, item, as_of, str(error), give_up=today > item.last_day)
            report.errors.append(f"{item.label}: {error.code}")
            continue
        getattr(report, outcome[0]).append(f"{item.label}{outcome[1]}")
    return report


def _collect_one(
    sessions: sessionmaker[Session],
    gateway: Gateway,
    programme: Programme,
    item: Due,
    as_of: dt.datetime,
    today: dt.date,
) -> tuple[str, str]:
    with sessions() as session:
        row = session.get(models.AttendanceCollection, item.workshop_id)
        join_url = row.join_url if row else None
        meeting_id = row.meeting_id if row else None
    if join_url is None:
        join_url = gateway.get_event(item.event_id).join_url
    reports: tuple[AttendanceReport, ...] = ()
    if join_url is not None and meeting_id is None:
        meeting_id = gateway.find_online_meeting(join_url)
    if meeting_id is not None:
        reports = gateway.get_attendance_reports(meeting_id)
    ended = [r for r in reports if r.ended]
    with unit_of_work(sessions) as session:
        row = session.get(models.AttendanceCollection, item.workshop_id)
        if row is None:
            row = models.AttendanceCollection(workshop_id=item.workshop_id, status="waiting", reports=0, attempts=0)
            session.add(row)
        row.join_url, row.meeting_id = join_url, meeting_id
        row.attempts += 1
        row.last_attempt_at = as_of
        if ended:
            attended, unmatched = store_reports(session, programme, item.workshop_id, ended, as_of)
            row.status, row.reports, row.collected_at, row.last_error = "collected", len(ended), as_of, None
            return "collected", f": {attended} attended, {unmatched} unmatched ({len(ended)} reports)"
        row.last_error = (
            "the event has no Teams meeting"
            if join_url is None
            else "no online meeting found for the join link"
            if meeting_id is None
            else "no attendance report yet"
        )
        if today > item.last_day:
            row.status = "gave_up"
            return "gave_up", f": {row.last_error}"
        return "waiting", f": {row.last_error}"


def _note_error(sessions: sessionmaker[Session], item: Due, as_of: dt.datetime, error: str, *, give_up: bool) -> None:
    with unit_of_work(sessions) as session:
        row = session.get(models.AttendanceCollection, item.workshop_id)
        if row is None:
            row = models.AttendanceCollection(workshop_id=item.workshop_id, status="waiting", reports=0, attempts=0)
            session.add(row)
        row.attempts += 1
        row.last_attempt_at, row.last_error = as_of, error[:2000]
        if give_up:
            row.status = "gave_up"


def union(reports: Iterable[AttendanceReport]) -> tuple[dict[str, int], list[AttendanceRecord]]:
    """Seconds per address over every report, and the records without an address (one per display name)."""
    seconds: dict[str, int] = {}
    nameless: dict[str, AttendanceRecord] = {}
    for report in reports:
        for rec in report.records:
            if rec.email:
                seconds[rec.email.lower()] = seconds.get(rec.email.lower(), 0) + rec.seconds
            else:
                nameless.setdefault(rec.name, rec)
    return seconds, list(nameless.values())


def staff_addresses(programme: Programme) -> set[str]:
    """The organiser, managers and LCP leads: in the meeting, but not partners to match."""
    info = programme.programme
    return {info.organiser_mailbox, *(m.email for m in info.managers), *(lcp.lead.email for lcp in programme.lcps)}


def store_reports(
    session: Session, programme: Programme, workshop_id: int, reports: list[AttendanceReport], at: dt.datetime
) -> tuple[int, int]:
    """Record matched contacts as present and keep the rest as unmatched: (attended, unmatched)."""
    seconds, nameless = union(reports)
    contacts = contacts_by_email(session)
    known = existing(session, workshop_id)
    staff = staff_addresses(programme)
    names = {rec.email.lower(): rec.name for r in reports for rec in r.records if rec.email}
    attended = unmatched = 0
    kept = {
        u.identity: u
        for u in session.scalars(
            select(models.UnmatchedAttendee).where(models.UnmatchedAttendee.workshop_id == workshop_id)
        )
    }
    for address, total in sorted(seconds.items()):
        contact = contacts.get(address)
        if contact is not None:
            record(
                session, workshop_id, contact.id, present=True, source="teams", by=BY, at=at, seconds=total, known=known
            )
            attended += 1
        elif address not in staff:
            unmatched += _keep_unmatched(session, kept, workshop_id, address, names.get(address, address), address, at)
    for rec in nameless:
        unmatched += _keep_unmatched(session, kept, workshop_id, f"name:{rec.name.lower()}", rec.name, None, at)
    return attended, unmatched


def _keep_unmatched(
    session: Session,
    kept: dict[str, models.UnmatchedAttendee],
    workshop_id: int,
    identity: str,
    name: str,
    email: str | None,
    at: dt.datetime,
) -> int:
    if identity[:320] in kept:
        return 0
    row = models.UnmatchedAttendee(
        workshop_id=workshop_id, identity=identity[:320], name=name[:300], email=email, seen_at=at
    )
    session.add(row)
    kept[row.identity] = row
    return 1
