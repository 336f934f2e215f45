"""Workshop reminders: "please reply" to invitees who have not, "see you there" to those coming. Pure.

Each has a window; outside it nothing is decided, and a queued reminder whose window has closed is dropped by the
deliverer (`stale_after`), so a reminder is never sent late:

- no reply: from `reminders.no_response_days_before` days before the workshop (local midnight) until the
  "see you there" window opens;
- see you there (accepted or tentative; never declined): from `reminders.attending_working_days_before` working
  days before (local midnight) until the workshop starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rollout.config.schema import Programme
from rollout.reconcile import keys
from rollout.reconcile.clock import Clock
from rollout.reconcile.messages import Message, Person, base_context, lcp_name, workshop_context
from rollout.reconcile.state import Snapshot, WorkshopRow
from rollout.reconcile.workshops import live_workshops

ATTENDING = ("accepted", "tentative")


@dataclass(frozen=True)
class Windows:
    no_response_opens: dt.datetime
    attending_opens: dt.datetime  # also when the no-response window closes
    starts: dt.datetime


def windows(workshop: WorkshopRow, programme: Programme, clock: Clock) -> Windows:
    day = clock.local_date(workshop.starts_at)
    settings = programme.reminders
    return Windows(
        no_response_opens=clock.midnight(day - dt.timedelta(days=settings.no_response_days_before)),
        attending_opens=clock.midnight(clock.cal.add_working_days(day, -settings.attending_working_days_before)),
        starts=workshop.starts_at,
    )


def workshop_reminders(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[Message]:
    clock = Clock.of(programme, now)
    messages: list[Message] = []
    for workshop in live_workshops(snapshot, programme):
        if workshop.starts_at <= clock.as_of:
            continue
        window = windows(workshop, programme, clock)
        no_response_due = window.no_response_opens <= clock.as_of < window.attending_opens
        attending_due = window.attending_opens <= clock.as_of < window.starts
        if not (no_response_due or attending_due):
            continue
        day = clock.local_date(workshop.starts_at)
        about = workshop_context(workshop, programme)
        for invitation in snapshot.invitations_by_workshop.get(workshop.id, []):
            if invitation.mail_stopped:
                continue
            to = Person(invitation.name, invitation.email, invitation.contact_id)
            context = {
                **base_context(programme, to),
                **about,
                "invitation_id": invitation.id,
                "response": invitation.response,
                "lcp_name": lcp_name(programme, invitation.lcp_id),
                "days_before": (day - clock.today).days,
            }
            if no_response_due and invitation.response == "none":
                key = keys.no_response_reminder(workshop.wave_id, workshop.number, day, invitation.email)
                template, stale_after = "workshop_reminder_no_response", window.attending_opens
            elif attending_due and invitation.response in ATTENDING:
                key = keys.attending_reminder(workshop.wave_id, workshop.number, day, invitation.email)
                template, stale_after = "workshop_reminder_attending", window.starts
            else:
                continue
            messages.append(
                Message(
                    key=key,
                    purpose="reminder",
                    template=template,
                    to=to,
                    context=context,
                    wave_id=workshop.wave_id,
                    lcp_id=invitation.lcp_id,
                    workshop_id=workshop.id,
                    stale_after=stale_after,
                )
            )
    return messages
