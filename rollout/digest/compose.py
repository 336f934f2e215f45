"""Reading the database into digests: the programme's, and one per recipient."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rollout.attendance.figures import AttendanceRows, load_attendance_rows
from rollout.config.schema import Programme
from rollout.digest.figures import RECENT, Digest, lcp_digest, programme_digest
from rollout.digest.recipients import DigestRecipient, digest_recipients
from rollout.digest.snapshot import previous_baseline
from rollout.digest.state import load_state
from rollout.digest.week import Week


@dataclass(frozen=True)
class DigestSet:
    week: Week
    programme: Digest
    by_recipient: tuple[tuple[DigestRecipient, Digest], ...]


def compute_digests(session: Session, programme: Programme, as_of: dt.datetime) -> DigestSet:
    """The week's digests from one read of the state: the whole programme, then each recipient's."""
    week = Week.of(as_of, programme.programme.timezone)
    state = load_state(session, [lcp.id for lcp in programme.lcps], week.as_of - RECENT)
    previous = previous_baseline(session, week.start)
    attendance = recent_attendance(session, programme, week)
    whole = with_attendance(attendance, programme_digest(state, programme, week, previous))
    pairs = tuple(
        (
            r,
            whole
            if r.lcp_ids is None
            else with_attendance(attendance, lcp_digest(state, programme, week, r.lcp_ids, previous)),
        )
        for r in digest_recipients(programme)
    )
    return DigestSet(week, whole, pairs)


def preview_digest(session: Session, programme: Programme, as_of: dt.datetime, lcp_id: str | None = None) -> Digest:
    """What the whole programme's digest (or one LCP lead's) would say now; reads only, stores nothing."""
    week = Week.of(as_of, programme.programme.timezone)
    state = load_state(session, [lcp.id for lcp in programme.lcps], week.as_of - RECENT)
    previous = previous_baseline(session, week.start)
    attendance = recent_attendance(session, programme, week)
    if lcp_id is None:
        return with_attendance(attendance, programme_digest(state, programme, week, previous))
    return with_attendance(attendance, lcp_digest(state, programme, week, [lcp_id], previous))


ATTENDANCE_WEEKS = 6  # the digest's attendance table covers workshops of the last six weeks


def recent_attendance(session: Session, programme: Programme, week: Week) -> AttendanceRows:
    """Attendance at the workshops of the last ATTENDANCE_WEEKS, read once for every digest of the week."""
    since = week.as_of - dt.timedelta(weeks=ATTENDANCE_WEEKS)
    return load_attendance_rows(session, programme, week.as_of, since=since)


def with_attendance(attendance: AttendanceRows, digest: Digest) -> Digest:
    figures = attendance.figures(digest.scope)
    return dataclasses.replace(digest, attendance=figures if figures.workshops else None)
