"""Attendance figures: per workshop and per LCP (invited, accepted, attended, no-shows), which of the programme's
roles were in the room per LCP, and repeat no-shows. Loaded in three SELECTs; the counting is pure.

Counted over partner contacts (LCP leads are not counted). A no-show is an invited contact who did not decline
and did not come, at a workshop whose attendance is known; at a workshop whose attendance is not known nobody is
a no-show (and its attended count is what little was recorded).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config.schema import Programme
from rollout.db import models


@dataclass
class Tally:
    invited: int = 0
    accepted: int = 0  # accepted or tentative
    attended: int = 0
    no_shows: int = 0

    def add(self, other: Tally) -> None:
        self.invited += other.invited
        self.accepted += other.accepted
        self.attended += other.attended
        self.no_shows += other.no_shows

    def cells(self) -> str:
        return f"{self.invited} | {self.accepted} | {self.attended} | {self.no_shows}"


@dataclass
class WorkshopFigures:
    workshop_id: int
    wave_id: str
    number: int
    title: str
    day: dt.date
    known: bool
    tally: Tally = field(default_factory=Tally)
    unmatched: int = 0  # Teams attendees nobody has matched to a contact yet


@dataclass
class LcpFigures:
    lcp_id: str
    tally: Tally = field(default_factory=Tally)
    roles: tuple[str, ...] = ()  # role ids of organisations whose contacts came


@dataclass(frozen=True)
class RepeatNoShow:
    name: str
    email: str
    lcp_id: str
    times: int


@dataclass
class AttendanceFigures:
    workshops: list[WorkshopFigures]
    lcps: list[LcpFigures]
    repeat_no_shows: list[RepeatNoShow]
    role_ids: tuple[str, ...] = ()

    def totals(self) -> Tally:
        total = Tally()
        for w in self.workshops:
            total.add(w.tally)
        return total

    def summary(self) -> dict[str, object]:
        t = self.totals()
        return {
            "workshops": len(self.workshops),
            "known": sum(1 for w in self.workshops if w.known),
            "invited": t.invited,
            "accepted": t.accepted,
            "attended": t.attended,
            "no_shows": t.no_shows,
            "repeat_no_shows": len(self.repeat_no_shows),
        }


@dataclass(frozen=True)
class InvitedRow:
    workshop_id: int
    lcp_id: str
    contact_id: int
    name: str
    email: str
    response: str
    roles: tuple[str, ...]


def count(
    workshops: Iterable[WorkshopFigures],
    invited: Iterable[InvitedRow],
    present: dict[int, set[int]],
    came_roles: dict[tuple[int, int], tuple[str, str, tuple[str, ...]]],
    role_ids: tuple[str, ...],
) -> AttendanceFigures:
    """The figures from plain rows. `came_roles`: (workshop, contact) -> (lcp, email, roles) of everyone who came,
    invited or not (a walk-in counts as attended)."""
    by_id = {w.workshop_id: w for w in workshops}
    lcps: dict[str, LcpFigures] = {}
    roles: dict[str, set[str]] = defaultdict(set)
    misses: Counter[tuple[str, str, str]] = Counter()
    invited_pairs = set()
    for row in invited:
        workshop = by_id.get(row.workshop_id)
        if workshop is None:
            continue
        invited_pairs.add((row.workshop_id, row.contact_id))
        lcp = lcps.setdefault(row.lcp_id, LcpFigures(row.lcp_id))
        one = Tally(invited=1, accepted=int(row.response in ("accepted", "tentative")))
        if row.contact_id in present.get(row.workshop_id, set()):
            one.attended = 1
        elif workshop.known and row.response != "declined":
            one.no_shows = 1
            misses[(row.name, row.email, row.lcp_id)] += 1
        workshop.tally.add(one)
        lcp.tally.add(one)
    for (workshop_id, contact_id), (lcp_id, _email, org_roles) in came_roles.items():
        workshop = by_id.get(workshop_id)
        if workshop is None:
            continue
        roles[lcp_id].update(org_roles)
        if (workshop_id, contact_id) not in invited_pairs:  # came without an invitation of their own
            workshop.tally.attended += 1
            lcps.setdefault(lcp_id, LcpFigures(lcp_id)).tally.attended += 1
    for lcp_id, figures in lcps.items():
        figures.roles = tuple(r for r in role_ids if r in roles.get(lcp_id, set()))
    repeat = [RepeatNoShow(name, email, lcp, n) for (name, email, lcp), n in misses.items() if n >= 2]
    repeat.sort(key=lambda r: (-r.times, r.lcp_id, r.email))
    return AttendanceFigures(
        workshops=sorted(by_id.values(), key=lambda w: (w.day, w.wave_id, w.number)),
        lcps=sorted(lcps.values(), key=lambda f: f.lcp_id),
        repeat_no_shows=repeat,
        role_ids=role_ids,
    )


@dataclass(frozen=True)
class AttendanceRows:
    """What the figures are counted from, for every LCP: read once, then counted for any scope (a digest counts
    the whole programme and each LCP lead's LCPs from one read)."""

    workshops: tuple[
        tuple[int, str, int, str, dt.date, bool, int], ...
    ]  # id, wave, number, title, day, known, unmatched
    invited: tuple[InvitedRow, ...]
    present: dict[int, set[int]]
    came_roles: dict[tuple[int, int], tuple[str, str, tuple[str, ...]]]
    role_ids: tuple[str, ...]

    def figures(self, lcp_ids: Iterable[str] | None = None) -> AttendanceFigures:
        """The figures counting the partners of `lcp_ids` (default all)."""
        invited: Iterable[InvitedRow] = self.invited
        came_roles = self.came_roles
        if lcp_ids is not None:
            scope = set(lcp_ids)
            invited = [i for i in self.invited if i.lcp_id in scope]
            came_roles = {k: v for k, v in came_roles.items() if v[0] in scope}
        workshops = [WorkshopFigures(*w[:6], unmatched=w[6]) for w in self.workshops]  # fresh tallies each time
        return count(workshops, invited, self.present, came_roles, self.role_ids)


def load_figures(
    session: Session,
    programme: Programme,
    until: dt.datetime,
    *,
    wave_ids: Iterable[str] | None = None,
    since: dt.datetime | None = None,
    lcp_ids: Iterable[str] | None = None,
) -> AttendanceFigures:
    """Figures over workshops that ended by `until` (and started after `since`), of the given waves (default all),
    counting the partners of the given LCPs (default all)."""
    return load_attendance_rows(session, programme, until, wave_ids=wave_ids, since=since).figures(lcp_ids)


def load_attendance_rows(
    session: Session,
    programme: Programme,
    until: dt.datetime,
    *,
    wave_ids: Iterable[str] | None = None,
    since: dt.datetime | None = None,
) -> AttendanceRows:
    """The rows of workshops that ended by `until` (and started after `since`), of the given waves (default all)."""
    Wk, Iv, Ct, Og, At, Co, Um = (
        models.Workshop,
        models.Invitation,
        models.Contact,
        models.Organisation,
        models.Attendance,
        models.AttendanceCollection,
        models.UnmatchedAttendee,
    )
    query = select(Wk.id, Wk.wave_id, Wk.number, Wk.title, Wk.starts_at).where(
        Wk.status == "scheduled", Wk.ends_at <= until
    )
    if wave_ids is not None:
        query = query.where(Wk.wave_id.in_(list(wave_ids)))
    if since is not None:
        query = query.where(Wk.starts_at >= since)
    tz = programme.tz
    found = {
        wid: (wid, wave, number, title, starts.astimezone(tz).date())
        for wid, wave, number, title, starts in session.execute(query).tuples()
    }
    role_ids = tuple(programme.role_ids)
    ids = list(found)
    if not ids:
        return AttendanceRows((), (), {}, {}, role_ids)
    collected = set(session.scalars(select(Co.workshop_id).where(Co.status == "collected", Co.workshop_id.in_(ids))))
    present: dict[int, set[int]] = defaultdict(set)
    came_roles: dict[tuple[int, int], tuple[str, str, tuple[str, ...]]] = {}
    recorded: set[int] = set()
    for workshop_id, contact_id, is_present, lcp_id, email, roles in session.execute(
        select(At.workshop_id, At.contact_id, At.present, Og.lcp_id, Ct.email, Og.roles)
        .join(Ct, Ct.id == At.contact_id)
        .join(Og, Og.id == Ct.organisation_id)
        .where(At.workshop_id.in_(ids))
    ).tuples():
        recorded.add(workshop_id)
        if is_present:
            present[workshop_id].add(contact_id)
            came_roles[(workshop_id, contact_id)] = (lcp_id, email, tuple(roles or ()))
    unmatched: Counter[int] = Counter(
        session.scalars(select(Um.workshop_id).where(Um.workshop_id.in_(ids), or_(Um.resolved_at.is_(None))))
    )
    invited = tuple(
        InvitedRow(workshop_id, lcp_id, contact_id, name, email, response, tuple(roles or ()))
        for workshop_id, lcp_id, contact_id, name, email, response, roles in session.execute(
            select(Iv.workshop_id, Iv.lcp_id, Ct.id, Iv.name, Iv.email, Iv.response, Og.roles)
            .join(Ct, Ct.id == Iv.contact_id)
            .join(Og, Og.id == Ct.organisation_id)
            .where(Iv.status == "invited", Iv.workshop_id.in_(ids))
        ).tuples()
    )
    workshops = tuple(
        (*row, workshop_id in collected or workshop_id in recorded, unmatched[workshop_id])
        for workshop_id, row in found.items()
    )
    return AttendanceRows(workshops, invited, dict(present), came_roles, role_ids)


def attendance_markdown(figures: AttendanceFigures, *, limit: int = 20) -> list[str]:
    """Small Markdown tables for the reconcile summary (most recent workshops first)."""
    if not figures.workshops:
        return []
    lines = [
        "## Attendance",
        "",
        "| workshop | date | known | invited | accepted | attended | no-shows |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in list(reversed(figures.workshops))[:limit]:
        known = "yes" if w.known else "not yet"
        if w.unmatched:
            known += f" ({w.unmatched} unmatched)"
        title = w.title.replace("|", "\\|")
        lines.append(f"| {w.wave_id} #{w.number} {title} | {w.day} | {known} | {w.tally.cells()} |")
    lines += ["", "| LCP | invited | accepted | attended | no-shows | roles represented |", "|---|---|---|---|---|---|"]
    total_roles = len(figures.role_ids)
    for lcp in figures.lcps:
        lines.append(
            f"| {lcp.lcp_id} | {lcp.tally.cells()} | {len(lcp.roles)} of {total_roles}: {', '.join(lcp.roles) or '-'} |"
        )
    if figures.repeat_no_shows:
        shown = ", ".join(f"{r.name} ({r.lcp_id}, {r.times} times)" for r in figures.repeat_no_shows[:limit])
        more = len(figures.repeat_no_shows) - limit
        lines += ["", f"Repeat no-shows: {shown}" + (f", and {more} more" if more > 0 else "")]
    return lines


SUMMARY_DAYS = 60  # the reconcile summary shows workshops of about the last two months


def summary_figures(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> AttendanceFigures:
    with sessions() as session:
        return load_figures(session, programme, as_of, since=as_of - dt.timedelta(days=SUMMARY_DAYS))


def attendance_lines(session: Session, programme: Programme, now: dt.datetime | None = None) -> list[str]:
    """`rollout status`: one line per wave that has held workshops."""
    until = now or dt.datetime.now(dt.UTC)
    lines = []
    for wave in programme.waves:
        figures = load_figures(session, programme, until, wave_ids=[wave.id])
        if not figures.workshops:
            continue
        t = figures.totals()
        known = sum(1 for w in figures.workshops if w.known)
        lines.append(
            f"attendance {wave.id}: {len(figures.workshops)} workshops held ({known} with attendance known); "
            f"invited {t.invited}, accepted {t.accepted}, attended {t.attended}, no-shows {t.no_shows}, "
            f"repeat no-shows {len(figures.repeat_no_shows)}"
        )
    return lines
