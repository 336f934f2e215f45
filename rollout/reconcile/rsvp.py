"""RSVP sync: read upcoming workshops' attendee responses from Outlook into Invitation.response.

Workshops starting within the horizon (six weeks, and at least three times the "please reply" window) are read:
replies matter to the reminders from 14 days before; a workshop months away is read once it comes closer.

Reading is safe to retry. Every change is kept in ResponseChange. A workshop whose event is cancelled (or gone) in
Outlook is marked cancelled, so nobody is reminded about it; a workshop already cancelled is not read at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config.schema import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.outbound.gateway import EventState, Gateway, NotFoundGraphError, Response
from rollout.reconcile.workshops import configured_wave

RSVP_HORIZON_DAYS = 42


@dataclass(frozen=True)
class ResponseUpdate:
    invitation_id: int
    email: str
    before: str
    response: Response
    responded_at: dt.datetime | None


@dataclass
class RsvpReport:
    events_read: int = 0
    responses_changed: int = 0
    cancelled_in_outlook: list[str] = field(default_factory=list)  # "wave-1 workshop 4"
    changes: list[str] = field(default_factory=list)  # "wave-1 workshop 2: a@x: none -> accepted"

    def summary(self) -> str:
        cancelled = (
            f", cancelled in Outlook: {', '.join(self.cancelled_in_outlook)}" if self.cancelled_in_outlook else ""
        )
        events = f"{self.events_read} event{'s' if self.events_read != 1 else ''} read"
        responses = f"{self.responses_changed} response{'s' if self.responses_changed != 1 else ''} changed"
        return f"{events}, {responses}{cancelled}"


def response_updates(invitations: Iterable[tuple[int, str, str]], state: EventState) -> list[ResponseUpdate]:
    """Pure: (invitation id, email, stored response) against what Outlook reports. Addresses match case-blind;
    an invitee Outlook does not list (not yet added to the event) keeps what is stored."""
    reported = {a.email.lower(): a for a in state.attendees}
    updates = []
    for invitation_id, email, stored in invitations:
        answer = reported.get(email.lower())
        if answer is not None and answer.response != stored:
            updates.append(ResponseUpdate(invitation_id, email, stored, answer.response, answer.responded_at))
    return updates


def horizon_days(programme: Programme) -> int:
    """How far ahead replies are read: well beyond the "please reply" window, where replies start to matter."""
    return max(RSVP_HORIZON_DAYS, 3 * programme.reminders.no_response_days_before)


def sync_rsvps(
    sessions: sessionmaker[Session],
    gateway: Gateway,
    programme: Programme,
    as_of: dt.datetime,
    *,
    horizon: dt.timedelta | None = None,
    everything: bool = False,
) -> RsvpReport:
    """Read the replies to workshops starting within `horizon` (default: horizon_days) of `as_of`, or to every
    upcoming workshop with `everything`."""
    report = RsvpReport()
    W = models.Workshop
    query = (
        select(W.id, W.wave_id, W.number, W.event_id)
        .where(W.status == "scheduled", W.event_id.is_not(None), W.starts_at > as_of)
        .order_by(W.starts_at)
    )
    if not everything:
        query = query.where(W.starts_at <= as_of + (horizon or dt.timedelta(days=horizon_days(programme))))
    with sessions() as session:
        upcoming = session.execute(query).tuples().all()
    states: dict[int, EventState] = {}
    cancelled: list[int] = []
    for workshop_id, wave_id, number, event_id in upcoming:
        wave = configured_wave(programme, wave_id)
        if wave is None or number in wave.cancelled_workshops or event_id is None:
            continue  # a cancellation is on its way; its responses no longer matter
        try:
            state = gateway.get_event(event_id)
        except NotFoundGraphError:
            state = EventState(event_id=event_id, is_cancelled=True)
        report.events_read += 1
        if state.is_cancelled:
            cancelled.append(workshop_id)
            report.cancelled_in_outlook.append(f"{wave_id} workshop {number}")
        else:
            states[workshop_id] = state
    with unit_of_work(sessions) as session:
        _store(session, states, cancelled, report, as_of)
    return report


def _store(
    session: Session, states: dict[int, EventState], cancelled: list[int], report: RsvpReport, at: dt.datetime
) -> None:
    if cancelled:
        for workshop in session.scalars(select(models.Workshop).where(models.Workshop.id.in_(cancelled))):
            workshop.status, workshop.updated_at = "cancelled", at
    if not states:
        return
    invitations = session.scalars(
        select(models.Invitation)
        .where(models.Invitation.workshop_id.in_(list(states)), models.Invitation.status == "invited")
        .order_by(models.Invitation.id)
    ).all()
    by_id = {i.id: i for i in invitations}
    labels = {
        w.id: f"{w.wave_id} workshop {w.number}"
        for w in session.scalars(select(models.Workshop).where(models.Workshop.id.in_(list(states))))
    }
    for workshop_id, state in states.items():
        mine = [(i.id, i.email, i.response) for i in invitations if i.workshop_id == workshop_id]
        for update in response_updates(mine, state):
            row = by_id[update.invitation_id]
            row.response, row.responded_at = update.response, update.responded_at
            session.add(
                models.ResponseChange(
                    invitation_id=row.id, response=update.response, responded_at=update.responded_at, recorded_at=at
                )
            )
            report.responses_changed += 1
            report.changes.append(f"{labels[workshop_id]}: {update.email}: {update.before} -> {update.response}")
    session.flush()
