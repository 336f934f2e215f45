"""Follow-ups by attendance. Pure.

A workshop's follow-ups wait until its attendance is known (a Teams report collected, or anyone marked, imported
or checked in) or `attendance.follow_up_cutoff_days` after their usual day, then go with what is known:
- a contact who came gets the follow-up with its actions, thanking them for coming;
- an invited contact who did not come (attendance known, they are not in it) gets "sorry we missed you" with the
  workshop's materials link and their organisation's actions from it, if any; one who declined gets the same
  email in words that do not pretend to have expected them, and is never thanked for coming;
- when attendance is not known at all, the follow-up goes as before, with no thanks for coming and no apology.
Every person gets one email per workshop and owner, under the follow-up's key, whichever of the two it is: a
follow-up once queued is never followed by a "sorry we missed you" or the other way round.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from rollout.config.schema import Programme
from rollout.reconcile import keys
from rollout.reconcile.clock import Clock
from rollout.reconcile.messages import Message, Person, base_context, lcp_name, workshop_context
from rollout.reconcile.state import Snapshot, WorkshopRow
from rollout.reconcile.workshops import live_workshops

Status = Literal["attended", "missed", "declined"]
MISSED_FOR_DAYS = 21  # "sorry we missed you" without actions is sent at most this long after the workshop


def waits_for_attendance(workshop: WorkshopRow, snapshot: Snapshot, programme: Programme, clock: Clock) -> bool:
    """True while the follow-up should wait for attendance (unknown, and the cut-off not yet passed)."""
    if workshop.id in snapshot.attendance.known:
        return False
    usual = clock.cal.add_working_days(clock.local_date(workshop.starts_at), 1)
    return clock.today < usual + dt.timedelta(days=programme.attendance.follow_up_cutoff_days)


def status_of(workshop: WorkshopRow, contact_id: int | None, snapshot: Snapshot) -> Status | None:
    """What we know of one person and one workshop; None: nothing to go on (an LCP lead, not invited, or
    attendance unknown)."""
    if contact_id is None:
        return None
    attendance = snapshot.attendance
    if attendance.came(workshop.id, contact_id):
        return "attended"
    invitation = next(
        (i for i in snapshot.invitations_by_workshop.get(workshop.id, []) if i.contact_id == contact_id), None
    )
    if invitation is None:
        return None
    if invitation.response == "declined":
        return "declined"
    return "missed" if workshop.id in attendance.known else None


def materials_url(programme: Programme, number: int) -> str | None:
    spec = next((w for w in programme.workshops if w.number == number), None)
    return spec.materials_url if spec else None


def as_attendance_aware(message: Message, workshop: WorkshopRow, snapshot: Snapshot, programme: Programme) -> Message:
    """A decided follow-up, turned into the email its recipient's attendance calls for."""
    status = status_of(workshop, message.to.contact_id, snapshot)
    if status in ("missed", "declined"):
        context = {
            **message.context,
            "declined": status == "declined",
            "materials_url": materials_url(programme, workshop.number),
        }
        return Message(
            key=message.key,
            purpose="missed_workshop",
            template="missed_workshop",
            to=message.to,
            context=context,
            wave_id=message.wave_id,
            lcp_id=message.lcp_id,
            workshop_id=message.workshop_id,
            stale_after=message.stale_after,
        )
    return dataclasses.replace(message, context={**message.context, "attended": status == "attended"})


def missed_messages(snapshot: Snapshot, programme: Programme, now: dt.datetime, already: set[str]) -> list[Message]:
    """ "Sorry we missed you" to invited contacts who did not come and own no open action from the workshop
    (those who do get it from follow_up_messages, with their actions)."""
    clock = Clock.of(programme, now)
    found: list[Message] = []
    for workshop in live_workshops(snapshot, programme):
        if workshop.ends_at > clock.as_of:
            continue
        day = clock.local_date(workshop.starts_at)
        last = day + dt.timedelta(days=MISSED_FOR_DAYS)
        if clock.today < clock.cal.add_working_days(day, 1) or clock.today > last:
            continue
        if waits_for_attendance(workshop, snapshot, programme, clock):
            continue
        about = workshop_context(workshop, programme)
        for invitation in snapshot.invitations_by_workshop.get(workshop.id, []):
            status = status_of(workshop, invitation.contact_id, snapshot)
            if status not in ("missed", "declined") or invitation.organisation_id is None:
                continue
            key = keys.follow_up(
                workshop.wave_id, workshop.number, invitation.lcp_id, invitation.organisation_id, invitation.email
            )
            if key in already:
                continue
            organisation = snapshot.organisations.get(invitation.organisation_id)
            to = Person(invitation.name, invitation.email, invitation.contact_id)
            found.append(
                Message(
                    key=key,
                    purpose="missed_workshop",
                    template="missed_workshop",
                    to=to,
                    context={
                        **base_context(programme, to),
                        **about,
                        "lcp_id": invitation.lcp_id,
                        "lcp_name": lcp_name(programme, invitation.lcp_id),
                        "organisation_id": invitation.organisation_id,
                        "organisation": organisation.name if organisation else None,
                        "hub_id": None,
                        "actions": [],
                        "declined": status == "declined",
                        "materials_url": materials_url(programme, workshop.number),
                    },
                    wave_id=workshop.wave_id,
                    lcp_id=invitation.lcp_id,
                    workshop_id=workshop.id,
                    stale_after=clock.midnight(last + dt.timedelta(days=1)),
                )
            )
    return found
