"""Launching a wave: persist its plan, then intend the calendar events its workshops need. Idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme, Wave
from rollout.db import models
from rollout.errors import InputError
from rollout.limits import MAX_ATTENDEES
from rollout.outbound.outbox import Intent, enqueue
from rollout.partners.query import active_partner_contacts
from rollout.planning.audience import Invitee
from rollout.planning.invitations import EventHistory, event_intents
from rollout.planning.wave_plan import PlannedWorkshop, plan_wave
from rollout.programme.sync import sync_programme


@dataclass(frozen=True)
class LaunchPlan:
    wave: Wave
    workshops: list[PlannedWorkshop]
    workshop_ids: dict[int, int]  # workshop number -> row id
    intents: list[Intent]
    as_of: dt.datetime  # the run's clock when planned: what the rows it writes are stamped with by default

    @property
    def invitations(self) -> int:
        """Invitations (or updates) this launch would send: one per attendee of each event created or changed."""
        return sum(len(i.recipients) for i in self.intents if i.kind != "event.cancel")

    @property
    def upcoming(self) -> list[PlannedWorkshop]:
        return [w for w in self.workshops if not w.slot.cancelled]


def refuse_past_wave(wave: Wave, planned: Sequence[PlannedWorkshop], as_of: dt.datetime) -> None:
    if all(w.slot.start <= as_of for w in planned):
        last = max(w.slot.start for w in planned)
        raise InputError(
            f"wave {wave.id}",
            [
                f"every workshop is in the past (the last was {last:%Y-%m-%d %H:%M %Z}, "
                f"as of {as_of:%Y-%m-%d %H:%M}Z); nothing to launch"
            ],
        )


def refuse_oversized_meetings(wave: Wave, planned: Sequence[PlannedWorkshop]) -> None:
    """Exchange refuses a meeting with more than 500 attendees: say so before anything is written or queued."""
    problems = [
        f"workshop {w.slot.number} would invite {len(w.invitees)} people; Exchange allows {MAX_ATTENDEES} per "
        "meeting (split the wave, or narrow the workshop's audience)"
        for w in planned
        if not w.slot.cancelled and len(w.invitees) > MAX_ATTENDEES
    ]
    if problems:
        raise InputError(f"wave {wave.id}", problems)


def prepare_launch(session: Session, programme: Programme, wave_id: str, as_of: dt.datetime) -> LaunchPlan:
    """Persist the wave's plan and work out which event intents it needs; nothing is queued yet."""
    wave = programme.wave(wave_id)
    sync_programme(session, programme)
    partners = active_partner_contacts(session, wave.lcps, for_calendar=True)
    planned = plan_wave(wave, programme, partners)
    refuse_past_wave(wave, planned, as_of)
    refuse_oversized_meetings(wave, planned)
    ids = persist_workshops(session, wave, planned, as_of)
    history = event_history(session, wave.id, ids)
    return LaunchPlan(wave, planned, ids, event_intents(wave, programme, planned, history, as_of), as_of)


def queue_launch(session: Session, launch: LaunchPlan, at: dt.datetime | None = None) -> list[str]:
    """Queue the intents and record who is on each workshop's attendee list, stamped `at` (default: the launch's
    as_of; a launch approved later passes the moment of approval). Returns the keys newly queued."""
    at = at or launch.as_of
    by_id = {launch.workshop_ids[w.slot.number]: w for w in launch.workshops}
    for intent in launch.intents:
        if intent.kind in ("event.create", "event.update") and intent.workshop_id is not None:
            record_invitations(session, intent.workshop_id, by_id[intent.workshop_id].invitees, at)
    return enqueue(session, launch.intents, at=at)


Decision = Literal["approved", "rejected", "timed_out"]


def record_decision(
    session: Session,
    wave_id: str,
    decision: Decision,
    decided_by: str | None,
    note: str,
    *,
    at: dt.datetime,
    flow_run_id: str | None = None,
) -> models.LaunchDecision:
    """Keep an answer to a launch's approval request; an approval also marks the wave approved."""
    row = models.LaunchDecision(
        wave_id=wave_id,
        decision=decision,
        decided_by=decided_by,
        note=note.strip() or None,
        decided_at=at,
        flow_run_id=flow_run_id,
    )
    session.add(row)
    if decision == "approved":
        wave = session.get_one(models.Wave, wave_id)
        wave.approved_at, wave.approved_by = at, decided_by
    session.flush()
    return row


def persist_workshops(
    session: Session, wave: Wave, planned: Sequence[PlannedWorkshop], at: dt.datetime
) -> dict[int, int]:
    existing = {w.number: w for w in session.scalars(select(models.Workshop).where(models.Workshop.wave_id == wave.id))}
    for item in planned:
        slot = item.slot
        row = existing.get(slot.number)
        values = {
            "title": slot.title,
            "starts_at": slot.start.in_timezone("UTC"),
            "ends_at": slot.end.in_timezone("UTC"),
            "format": slot.format,
            "venue": slot.venue,
        }
        if row is None:
            row = models.Workshop(wave_id=wave.id, number=slot.number, status="planned", updated_at=at, **values)
            session.add(row)
            existing[slot.number] = row
        else:
            changed = {name: value for name, value in values.items() if getattr(row, name) != value}
            for name, value in changed.items():
                setattr(row, name, value)
            if changed:
                row.updated_at = at
    session.flush()
    return {number: row.id for number, row in existing.items()}


def event_history(session: Session, wave_id: str, workshop_ids: dict[int, int]) -> dict[int, EventHistory]:
    rows = session.scalars(
        select(models.OutboundMessage)
        .where(models.OutboundMessage.workshop_id.in_(list(workshop_ids.values())))
        .where(models.OutboundMessage.kind.in_(("event.create", "event.update", "event.cancel")))
        .order_by(models.OutboundMessage.id)
    ).all()
    history = {}
    for number, workshop_id in workshop_ids.items():
        mine = [r for r in rows if r.workshop_id == workshop_id]
        versions = [r for r in mine if r.kind != "event.cancel"]
        history[number] = EventHistory(
            workshop_id=workshop_id,
            last_payload=versions[-1].payload if versions else None,
            versions=len(versions),
            cancel_intended=any(r.kind == "event.cancel" for r in mine),
        )
    return history


def record_invitations(session: Session, workshop_id: int, invitees: Sequence[Invitee], at: dt.datetime) -> None:
    current = {
        i.email: i
        for i in session.scalars(select(models.Invitation).where(models.Invitation.workshop_id == workshop_id))
    }
    wanted = {i.email for i in invitees}
    for invitee in invitees:
        row = current.get(invitee.email)
        if row is None:
            session.add(
                models.Invitation(
                    workshop_id=workshop_id,
                    email=invitee.email,
                    name=invitee.name,
                    lcp_id=invitee.lcp_id,
                    contact_id=invitee.contact_id,
                    status="invited",
                    invited_at=at,
                )
            )
        elif row.status != "invited":
            row.status, row.removed_at = "invited", None
    for email, row in current.items():
        if email not in wanted and row.status == "invited":
            row.status, row.removed_at = "removed", at
    session.flush()
