"""Seeded synthetic partners: they answer invitations, do their actions (on time, late or never), move their
hubs on or let them stall, and the programme manager acknowledges some escalations.

Every choice is drawn from a generator seeded with the run's seed and what the choice is about (an invitation, an
action, a hub at a stage, an escalation), never from the order in which things happen: the same seed gives the same
programme whichever days the reconciler happens to run on. Partners act during the working day (09:30-17:30 local),
after the morning's runs, through the same doors people use: Outlook (the emulator's attendee responses) and
rollout.programme.progress (recorded with source "simulation").
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme
from rollout.db import models
from rollout.programme.progress import acknowledge_escalation, complete_action, create_hub, move_hub
from rollout_lab.simulation.attendance import ORGANISER, Teams, WorkshopView, attend, load_workshops

SOURCE = "simulation"

# Replies to an invitation, by the invitee's first answer.
ACCEPT, TENTATIVE, DECLINE = 0.50, 0.10, 0.15  # the rest (25%) do not answer at first
LATE_REPLY = 0.6  # of those, the share who answer after the "please reply" reminder (the others never do)
CHANGE_OF_MIND = 0.08  # of those who accepted, the share who decline a few days before
# Follow-up actions.
ON_TIME, LATE = 0.55, 0.25  # the rest (20%) are never done
# Hubs: at each stage with a stall limit, a hub moves on before the limit, after stalling briefly (an escalation
# or two), or after a long stall (every level).
ADVANCES, SHORT_STALL = 0.50, 0.35  # the rest (15%) stall for long
ACKNOWLEDGED = 0.30  # no-progress escalations the programme manager acknowledges a week or so in
BECOMES_HUB = 0.5  # prospective hubs that become one (stage 1) in the second half of their wave


@dataclass(frozen=True, order=True)
class Happening:
    """One thing a person does at a moment. Ordered by time, then key (unique)."""

    at: dt.datetime
    key: str
    kind: str  # reply | action_done | hub_moved | hub_created | acknowledged | attended
    by: str = ""
    event_id: str | None = None
    email: str | None = None
    response: str | None = None  # accepted | tentativelyAccepted | declined (Outlook's words)
    action_id: int | None = None
    hub_id: int | None = None
    stage: int | None = None  # the stage the hub is at (moves to stage + 1), or a new hub's stage
    since: dt.datetime | None = None  # the hub's stage_since when the move was decided
    organisation_id: int | None = None
    escalation_id: int | None = None
    workshop_id: int | None = None  # attended: the workshop whose attendance is recorded


# --- what partners can see of the programme -------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    wave_id: str
    number: int
    email: str
    event_id: str
    invited_at: dt.datetime
    starts_at: dt.datetime


@dataclass(frozen=True)
class ActionView:
    id: int
    key: str
    status: str
    created_at: dt.datetime
    due_date: dt.date
    owner: str


@dataclass(frozen=True)
class HubView:
    id: int
    organisation: str
    lcp_id: str
    stage: int
    stage_since: dt.datetime
    lead: str


@dataclass(frozen=True)
class ProspectView:
    organisation_id: int
    organisation: str
    lcp_id: str


@dataclass(frozen=True)
class EscalationView:
    id: int
    organisation: str
    reason: str
    stalled_since: dt.date
    status: str


@dataclass(frozen=True)
class View:
    invitations: tuple[InvitationView, ...]
    actions: tuple[ActionView, ...]
    hubs: tuple[HubView, ...]
    prospects: tuple[ProspectView, ...]
    escalations: tuple[EscalationView, ...]
    workshops: tuple[WorkshopView, ...] = ()  # scheduled workshops, for attendance


def load_view(session: Session, programme: Programme) -> View:
    Wk, Iv, Og, Ct, Hb, Ac, Es = (
        models.Workshop,
        models.Invitation,
        models.Organisation,
        models.Contact,
        models.Hub,
        models.Action,
        models.Escalation,
    )
    Ob = models.OutboundMessage
    connection = session.connection()  # Core: column tuples without the ORM's result machinery
    sent: dict[int | None, dt.datetime | None] = dict(
        connection.execute(select(Ob.workshop_id, Ob.sent_at).where(Ob.kind == "event.create", Ob.status == "sent"))
        .tuples()
        .all()
    )
    invitations = tuple(
        InvitationView(wave_id, number, email, event_id, invited_at, starts_at)
        for workshop_id, wave_id, number, email, event_id, starts_at in connection.execute(
            select(Wk.id, Wk.wave_id, Wk.number, Iv.email, Wk.event_id, Wk.starts_at)
            .join(Iv, Iv.workshop_id == Wk.id)
            .where(Wk.status == "scheduled", Wk.event_id.is_not(None), Iv.status == "invited")
            .order_by(Wk.id, Iv.email)
        ).tuples()
        if event_id is not None and (invited_at := sent.get(workshop_id)) is not None
    )
    first_contact: dict[int, str] = {}
    for organisation_id, name in connection.execute(
        select(Ct.organisation_id, Ct.name).where(Ct.active.is_(True)).order_by(Ct.email)
    ).tuples():
        first_contact.setdefault(organisation_id, name)
    leads = {lcp.id: lcp.lead.name for lcp in programme.lcps}
    actions = tuple(
        ActionView(
            id,
            key,
            status,
            created_at,
            due_date,
            first_contact.get(organisation_id, "partner") if organisation_id else leads.get(lcp_id, "LCP lead"),
        )
        for id, key, status, created_at, due_date, organisation_id, lcp_id in connection.execute(
            select(Ac.id, Ac.key, Ac.status, Ac.created_at, Ac.due_date, Ac.organisation_id, Ac.lcp_id).order_by(Ac.id)
        ).tuples()
    )
    hubs = tuple(
        HubView(id, name, lcp_id, stage, since, leads.get(lcp_id, "LCP lead"))
        for id, name, lcp_id, stage, since in connection.execute(
            select(Hb.id, Og.name, Og.lcp_id, Hb.stage, Hb.stage_since)
            .join(Og, Og.id == Hb.organisation_id)
            .order_by(Hb.id)
        ).tuples()
    )
    prospects = tuple(
        ProspectView(*t)
        for t in connection.execute(
            select(Og.id, Og.name, Og.lcp_id)
            .outerjoin(Hb, Hb.organisation_id == Og.id)
            .where(Og.hub_interest.is_(True), Hb.id.is_(None))
            .order_by(Og.id)
        ).tuples()
    )
    escalations = tuple(
        EscalationView(*t)
        for t in connection.execute(
            select(Es.id, Og.name, Es.reason, Es.stalled_since, Es.status)
            .join(Hb, Hb.id == Es.hub_id)
            .join(Og, Og.id == Hb.organisation_id)
            .order_by(Es.id)
        ).tuples()
    )
    return View(invitations, actions, hubs, prospects, escalations, load_workshops(session))


# --- the choices ------------------------------------------------------------------------------------------------


class Partners:
    """Decides, for a seed, what every partner does and when. Decisions are memoised per subject: deciding again
    for the same subject in the same state gives the same answer, so callers may ask as often as they like."""

    def __init__(self, programme: Programme, seed: int, start: dt.datetime) -> None:
        self.programme = programme
        self.seed = seed
        self.start = start  # when the simulation starts: nothing is done before it
        self._memo: dict[tuple[object, ...], tuple[Happening, ...]] = {}
        self._manager = programme.programme.managers[0].name if programme.programme.managers else "programme manager"

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def _memoised(self, subject: tuple[object, ...], decide: object) -> tuple[Happening, ...]:
        found = self._memo.get(subject)
        if found is None:
            assert callable(decide)
            found = self._memo[subject] = tuple(decide())
        return found

    def _during_work(self, day: dt.date, rng: random.Random) -> dt.datetime:
        """A moment between 09:30 and 17:30 local on `day` (after the morning's runs)."""
        minutes = rng.randrange(9 * 60 + 30, 17 * 60 + 30)
        local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.programme.tz)
        return local.astimezone(dt.UTC)

    def _local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.programme.tz).date()

    def happenings(self, view: View) -> list[Happening]:
        found: list[Happening] = []
        for invitation in view.invitations:
            found += self._memoised(("reply", invitation), lambda i=invitation: self.replies(i))
        for action in view.actions:
            if action.status == "open":
                found += self._memoised(("action", action.key, action.created_at), lambda a=action: self.doing(a))
        for hub in view.hubs:
            found += self._memoised(("hub", hub.id, hub.stage, hub.stage_since), lambda h=hub: self.moving(h))
        for prospect in view.prospects:
            found += self._memoised(("prospect", prospect.organisation), lambda p=prospect: self.becoming_hub(p))
        for escalation in view.escalations:
            if escalation.status in ("open", "snoozed"):
                found += self._memoised(("escalation", escalation.id), lambda e=escalation: self.acknowledging(e))
        for workshop in view.workshops:
            found += self._memoised(("attend", workshop.id, workshop.ends_at), lambda w=workshop: self.attending(w))
        return found

    def attending(self, workshop: WorkshopView) -> Iterable[Happening]:
        """Who came is settled as the workshop ends (from the answers then); a venue's sheet is imported after."""
        delay = dt.timedelta(minutes=-1 if workshop.format == "teams" else 30)
        yield Happening(
            workshop.ends_at + delay,
            f"attend:{workshop.wave_id}:{workshop.number}:{workshop.ends_at.isoformat()}",
            "attended",
            by=ORGANISER,
            workshop_id=workshop.id,
        )

    def replies(self, invitation: InvitationView) -> Iterable[Happening]:
        r = self._rng("reply", invitation.wave_id, invitation.number, invitation.email)
        draw = r.random()
        first = (
            "accepted"
            if draw < ACCEPT
            else "tentativelyAccepted"
            if draw < ACCEPT + TENTATIVE
            else "declined"
            if draw < ACCEPT + TENTATIVE + DECLINE
            else None
        )
        answers: list[tuple[dt.datetime, str]] = []
        if first is not None:
            answers.append((invitation.invited_at + dt.timedelta(minutes=r.randrange(120, 9 * 24 * 60)), first))
        elif r.random() < LATE_REPLY:
            asked = self._local_date(invitation.starts_at) - dt.timedelta(
                days=self.programme.reminders.no_response_days_before
            )
            late = "accepted" if r.random() < 0.7 else "declined"
            answers.append((self._during_work(asked + dt.timedelta(days=r.randrange(0, 8)), r), late))
        if first == "accepted" and r.random() < CHANGE_OF_MIND:
            answers.append(
                (invitation.starts_at - dt.timedelta(minutes=r.randrange(2 * 24 * 60, 9 * 24 * 60)), "declined")
            )
        for n, (at, response) in enumerate(answers):
            if invitation.invited_at < at < invitation.starts_at:
                yield Happening(
                    at,
                    f"reply:{invitation.wave_id}:{invitation.number}:{invitation.email}:{n}",
                    "reply",
                    by=invitation.email,
                    event_id=invitation.event_id,
                    email=invitation.email,
                    response=response,
                )

    def doing(self, action: ActionView) -> Iterable[Happening]:
        r = self._rng("action", action.key)
        draw = r.random()
        created = self._local_date(action.created_at)
        if draw < ON_TIME:
            day = created + dt.timedelta(days=r.randrange(0, max(1, (action.due_date - created).days + 1)))
        elif draw < ON_TIME + LATE:
            day = action.due_date + dt.timedelta(days=r.randrange(2, 22))
        else:
            return
        at = max(self._during_work(day, r), action.created_at + dt.timedelta(hours=1))
        yield Happening(at, f"action:{action.key}", "action_done", by=action.owner, action_id=action.id)

    def moving(self, hub: HubView) -> Iterable[Happening]:
        stage = next((s for s in self.programme.stages if s.number == hub.stage), None)
        limit = stage.stall_after_days if stage else None
        if limit is None or hub.stage >= self.programme.max_stage:
            return
        since = self._local_date(hub.stage_since)
        r = self._rng("hub", hub.organisation, hub.stage, since.isoformat())
        draw = r.random()
        if draw < ADVANCES:
            days = int(limit * r.uniform(0.4, 0.95))
        elif draw < ADVANCES + SHORT_STALL:
            days = limit + r.randrange(3, 25)
        else:
            days = limit + r.randrange(30, 90)
        at = max(self._during_work(since + dt.timedelta(days=days), r), hub.stage_since + dt.timedelta(hours=1))
        if (
            at <= self.start
        ):  # an imported hub "due" to move before the simulation starts: it does so in its first weeks
            at = self._during_work(self._local_date(self.start) + dt.timedelta(days=r.randrange(1, 29)), r)
        yield Happening(
            at,
            f"hub:{hub.organisation}:{hub.stage}:{since.isoformat()}",
            "hub_moved",
            by=hub.lead,
            hub_id=hub.id,
            stage=hub.stage,
            since=hub.stage_since,
        )

    def becoming_hub(self, prospect: ProspectView) -> Iterable[Happening]:
        wave = next((w for w in self.programme.waves if prospect.lcp_id in w.lcps), None)
        r = self._rng("prospect", prospect.organisation)
        if wave is None or r.random() >= BECOMES_HUB:
            return
        midpoint = wave.start + (wave.end - wave.start) / 2
        at = self._during_work(midpoint + dt.timedelta(days=r.randrange(0, 45)), r)
        yield Happening(
            at,
            f"new-hub:{prospect.organisation}",
            "hub_created",
            by=next((lcp.lead.name for lcp in self.programme.lcps if lcp.id == prospect.lcp_id), "LCP lead"),
            organisation_id=prospect.organisation_id,
            stage=min(s.number for s in self.programme.stages),
        )

    def acknowledging(self, escalation: EscalationView) -> Iterable[Happening]:
        r = self._rng("escalation", escalation.organisation, escalation.reason, escalation.stalled_since)
        if escalation.reason != "no_progress" or r.random() >= ACKNOWLEDGED:
            return
        at = self._during_work(escalation.stalled_since + dt.timedelta(days=r.randrange(8, 13)), r)
        yield Happening(at, f"ack:{escalation.id}", "acknowledged", by=self._manager, escalation_id=escalation.id)

    def initial_stage_since(self, organisation: str, stage: int) -> dt.datetime:
        """When an imported hub reached its stage: up to 60 days before the simulation starts."""
        r = self._rng("imported", organisation, stage)
        return self.start - dt.timedelta(days=r.randrange(0, 61), hours=r.randrange(0, 8))


# --- doing it ------------------------------------------------------------------------------------------------------


class Outlook(Teams, Protocol):
    """Where attendees answer and Teams records who came: the Graph emulator."""

    def set_response(
        self, mailbox: str, event_id: str, attendee_email: str, response: str, at: dt.datetime | None = None
    ) -> None: ...


def apply(happening: Happening, session: Session, outlook: Outlook, organiser: str, seed: int = 1) -> bool:
    """Do it, if it still makes sense (an action not yet done, a hub still where it was, an escalation still
    open): True when something changed."""
    at, by = happening.at, happening.by
    if happening.kind == "reply":
        assert happening.event_id and happening.email and happening.response
        try:
            outlook.set_response(organiser, happening.event_id, happening.email, happening.response, at=at)
        except KeyError:  # the event or the attendee is gone
            return False
        return True
    if happening.kind == "action_done":
        action = session.get(models.Action, happening.action_id)
        return action is not None and complete_action(session, action, by=by, source=SOURCE, at=at)
    if happening.kind == "hub_moved":
        hub = session.get(models.Hub, happening.hub_id)
        if hub is None or hub.stage != happening.stage or hub.stage_since != happening.since:
            return False
        assert happening.stage is not None
        return move_hub(session, hub, happening.stage + 1, by=by, source=SOURCE, at=at)
    if happening.kind == "hub_created":
        organisation = session.get(models.Organisation, happening.organisation_id)
        if organisation is None or organisation.hub is not None:
            return False
        assert happening.stage is not None
        create_hub(session, organisation, happening.stage, by=by, source=SOURCE, at=at)
        return True
    if happening.kind == "acknowledged":
        escalation = session.get(models.Escalation, happening.escalation_id)
        return escalation is not None and acknowledge_escalation(session, escalation, by=by, source=SOURCE, at=at)
    if happening.kind == "attended":
        assert happening.workshop_id is not None
        return attend(seed, happening.workshop_id, session, outlook, organiser, at)
    raise ValueError(f"unknown happening {happening.kind!r}")
