"""Which calendar-event changes a wave needs now: a pure function of the plan, what was already intended, and now.

The last intended event payload per workshop is the reference: a re-run that wants the same event intends nothing;
a moved date, a new partner or a changed venue intends one update; a cancelled workshop intends one cancellation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rollout.config.schema import Programme, Wave
from rollout.outbound.emails import local_when, render, short_when
from rollout.outbound.gateway import EventSpec, Recipient
from rollout.outbound.intents import Intent, event_payload
from rollout.planning.wave_plan import PlannedWorkshop


@dataclass(frozen=True)
class EventHistory:
    """What the outbox already holds for one workshop's event."""

    workshop_id: int
    last_payload: dict[str, Any] | None  # of the latest create/update intended
    versions: int  # create and update rows so far
    cancel_intended: bool


def workshop_event(planned: PlannedWorkshop, wave: Wave, programme: Programme) -> EventSpec:
    slot = planned.slot
    info = programme.programme
    where = slot.venue or "Microsoft Teams (the joining link is in this invitation)"
    rendered = render(
        "workshop_invitation",
        programme_name=info.name,
        programme_short_name=info.subject_name,
        privacy_url=info.privacy_url,
        stop_url=None,  # one event goes to every attendee: objection links are in each partner's own emails
        wave_name=wave.name,
        number=slot.number,
        workshop_count=len(programme.workshops),
        when_short=short_when(slot.start, info.timezone),
        title=slot.title,
        when=local_when(slot.start, slot.end, info.timezone, info.time_label),
        where=where,
        audience=planned.audience,
        description=slot.description,
    )
    return EventSpec(
        subject=rendered.subject,
        body_html=rendered.html,
        start=slot.start,
        end=slot.end,
        timezone=info.timezone,
        attendees=tuple(Recipient(i.name, i.email) for i in planned.invitees),
        location=slot.venue,
        online=slot.is_online,
        categories=(info.name[:255],),
    )


def event_key(wave_id: str, number: int, suffix: str) -> str:
    return f"event:{wave_id}:workshop-{number}:{suffix}"


def event_intents(
    wave: Wave,
    programme: Programme,
    planned: list[PlannedWorkshop],
    history: dict[int, EventHistory],
    as_of: dt.datetime,
) -> list[Intent]:
    """`history` is keyed by workshop number; every planned workshop must have been persisted (a workshop_id)."""
    intents = []
    for workshop in planned:
        slot = workshop.slot
        past = history[slot.number]

        if slot.cancelled:
            if past.versions and not past.cancel_intended:
                comment = f"{slot.title} ({wave.name}) is cancelled. We are sorry for any inconvenience."
                attendees = tuple(i.email for i in workshop.invitees)
                intents.append(
                    _event_intent(
                        wave.id,
                        slot.number,
                        past.workshop_id,
                        "event.cancel",
                        "cancel",
                        {"comment": comment},
                        attendees,
                    )
                )
            continue
        if slot.start <= as_of or past.cancel_intended:
            continue
        payload = event_payload(workshop_event(workshop, wave, programme))
        recipients = tuple(a["email"] for a in payload["attendees"])
        if past.versions == 0:
            intents.append(
                _event_intent(wave.id, slot.number, past.workshop_id, "event.create", "create", payload, recipients)
            )
        elif payload != past.last_payload:
            intents.append(
                _event_intent(
                    wave.id, slot.number, past.workshop_id, "event.update", f"v{past.versions + 1}", payload, recipients
                )
            )
    return intents


def _event_intent(
    wave_id: str,
    number: int,
    workshop_id: int,
    kind: str,
    suffix: str,
    payload: dict[str, Any],
    recipients: tuple[str, ...],
) -> Intent:
    return Intent(
        key=event_key(wave_id, number, suffix),
        kind=kind,
        purpose="invitation",
        payload=payload,
        recipients=recipients,
        wave_id=wave_id,
        workshop_id=workshop_id,
    )
