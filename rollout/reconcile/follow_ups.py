"""Follow-ups: on the first working day after a workshop, the actions it sets, one per owner. Pure.

Each email carries the recipient's reply to that workshop's invitation (`response`: accepted, tentative, declined,
none, or not_invited), so it thanks those who accepted and catches up those who declined or never replied.

Owners by the action's rule: `lcp_lead`, one per LCP of the wave, owned by its lead; `each_partner`, one per
organisation invited to that workshop in that LCP; `each_hub`, one per hub or prospective-hub organisation of
that LCP. Due dates come from the planner. The window for an action runs from the follow-up day until its due
date: a run that missed the follow-up day (an outage) catches up inside it; after the due date nothing is created
or sent for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rollout.config.schema import Programme, Wave
from rollout.planning.planner import PlannedAction, WorkshopSlot, plan
from rollout.reconcile import keys
from rollout.reconcile.attended import as_attendance_aware, waits_for_attendance
from rollout.reconcile.clock import Clock
from rollout.reconcile.messages import (
    Message,
    action_context,
    base_context,
    lcp_name,
    owners,
    workshop_context,
)
from rollout.reconcile.state import ActionRow, Snapshot, WorkshopRow
from rollout.reconcile.workshops import configured_wave, live_workshops


@dataclass(frozen=True)
class NewAction:
    key: str
    workshop_id: int
    lcp_id: str
    organisation_id: int | None
    title: str
    owner_role: str
    due_date: dt.date


@dataclass(frozen=True)
class HeldWorkshop:
    workshop: WorkshopRow
    wave: Wave
    follow_up_day: dt.date
    open_actions: tuple[PlannedAction, ...]  # planned actions whose due date has not come yet


def follow_up_day(workshop: WorkshopRow, clock: Clock) -> dt.date:
    return clock.cal.add_working_days(clock.local_date(workshop.starts_at), 1)


def held_workshops(snapshot: Snapshot, programme: Programme, clock: Clock) -> Iterator[HeldWorkshop]:
    """Workshops that have happened and whose follow-up window is open today."""
    plans: dict[str, dict[int, WorkshopSlot]] = {}
    for workshop in live_workshops(snapshot, programme):
        if workshop.ends_at > clock.as_of:
            continue
        day = follow_up_day(workshop, clock)
        if clock.today < day:
            continue
        wave = configured_wave(programme, workshop.wave_id)
        assert wave is not None  # live workshops belong to a configured wave
        if wave.id not in plans:
            plans[wave.id] = {slot.number: slot for slot in plan(wave, programme)}
        slot = plans[wave.id].get(workshop.number)
        if slot is None:
            continue
        still_open = tuple(a for a in slot.actions if clock.today < a.due)
        if still_open:
            yield HeldWorkshop(workshop, wave, day, still_open)


def action_owners(held: HeldWorkshop, planned: PlannedAction, snapshot: Snapshot) -> list[tuple[str, int | None]]:
    """(lcp id, organisation id or None for the lead) of each owner of one planned action."""
    lcps = held.wave.lcps
    if planned.owner == "lcp_lead":
        return [(lcp, None) for lcp in lcps]
    if planned.owner == "each_partner":
        invited = {
            (i.lcp_id, i.organisation_id)
            for i in snapshot.invitations_by_workshop.get(held.workshop.id, [])
            if i.organisation_id is not None and i.lcp_id in lcps
        }
        return sorted(invited, key=lambda o: (o[0], o[1] or 0))
    hubs = snapshot.hub_by_organisation
    return [
        (org.lcp_id, org.id)
        for lcp in lcps
        for org in sorted(snapshot.organisations_in(lcp), key=lambda o: o.id)
        if org.id in hubs or org.hub_interest
    ]


def new_actions(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[NewAction]:
    clock = Clock.of(programme, now)
    wanted: list[NewAction] = []
    for held in held_workshops(snapshot, programme, clock):
        for planned in held.open_actions:
            for lcp_id, organisation_id in action_owners(held, planned, snapshot):
                key = keys.action(held.wave.id, held.workshop.number, planned.index, lcp_id, organisation_id)
                if key in snapshot.action_keys:
                    continue
                wanted.append(
                    NewAction(
                        key=key,
                        workshop_id=held.workshop.id,
                        lcp_id=lcp_id,
                        organisation_id=organisation_id,
                        title=planned.title,
                        owner_role=planned.owner,
                        due_date=planned.due,
                    )
                )
    return wanted


def follow_up_messages(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[Message]:
    """One email per person per owner (the lead, or each contact of an organisation), listing its open actions
    from that workshop whose due date has not come yet."""
    clock = Clock.of(programme, now)
    messages: list[Message] = []
    for held in held_workshops(snapshot, programme, clock):
        workshop = held.workshop
        if waits_for_attendance(workshop, snapshot, programme, clock):
            continue
        by_owner: dict[tuple[str, int | None], list[ActionRow]] = defaultdict(list)
        for action in snapshot.actions_by_workshop.get(workshop.id, []):
            if action.status == "open" and clock.today < action.due_date:
                by_owner[(action.lcp_id, action.organisation_id)].append(action)
        about = workshop_context(workshop, programme)
        replies = {i.email.lower(): i.response for i in snapshot.invitations_by_workshop.get(workshop.id, [])}
        for (lcp_id, organisation_id), actions in sorted(by_owner.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            actions.sort(key=lambda a: (a.due_date, a.id))
            organisation = snapshot.organisations.get(organisation_id) if organisation_id else None
            hub = snapshot.hub_by_organisation.get(organisation_id) if organisation_id else None
            for to in owners(actions[0], snapshot, programme):
                message = Message(
                    key=keys.follow_up(workshop.wave_id, workshop.number, lcp_id, organisation_id, to.email),
                    purpose="follow_up",
                    template="follow_up_actions",
                    to=to,
                    context={
                        **base_context(programme, to),
                        **about,
                        "lcp_id": lcp_id,
                        "lcp_name": lcp_name(programme, lcp_id),
                        "organisation_id": organisation_id,
                        "organisation": organisation.name if organisation else None,
                        "hub_id": hub.id if hub else None,
                        # Until attendance is known the wording follows the reply: it thanks those who said yes,
                        # and catches up those who did not come.
                        "response": replies.get(to.email.lower(), "not_invited"),
                        "actions": [action_context(a, snapshot) for a in actions],
                    },
                    wave_id=workshop.wave_id,
                    lcp_id=lcp_id,
                    workshop_id=workshop.id,
                    stale_after=clock.midnight(actions[0].due_date),
                )
                messages.append(as_attendance_aware(message, workshop, snapshot, programme))
    return messages
