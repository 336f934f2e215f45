"""Open actions: a reminder before the due date, an overdue mark the day after it, and the owner told once. Pure.

- reminder window: from `reminders.action_working_days_before` working days before the due date until the end
  of the due date (local); dropped if still queued after that;
- overdue (rollout.planning.status): an open action is overdue from the day after its due date; it is marked
  with that day (`overdue_since`) and its owner is told once, in the same transaction that marks it (a notice still
  queued when the action is done is dropped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rollout.config.schema import Programme
from rollout.outbound.emails import long_date
from rollout.planning.status import is_overdue, overdue_from, past_due
from rollout.reconcile import keys
from rollout.reconcile.clock import Clock
from rollout.reconcile.messages import (
    Message,
    action_context,
    base_context,
    lcp_name,
    owners,
    workshop_context,
)
from rollout.reconcile.state import ActionRow, Snapshot


@dataclass(frozen=True)
class OverdueMark:
    action_id: int
    since: dt.date


def overdue_marks(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[OverdueMark]:
    today = Clock.of(programme, now).today
    return [
        OverdueMark(a.id, overdue_from(a.due_date))
        for a in snapshot.actions.values()
        if is_overdue(a, today) and a.overdue_since is None
    ]


def _context(action: ActionRow, snapshot: Snapshot, programme: Programme) -> dict[str, Any]:
    workshop = snapshot.workshops.get(action.workshop_id)
    organisation = snapshot.organisations.get(action.organisation_id) if action.organisation_id else None
    about: dict[str, Any] = {"workshop_id": action.workshop_id}
    if workshop is not None:
        about = workshop_context(workshop, programme)
    return {
        **about,
        "action": action_context(action, snapshot),
        "lcp_id": action.lcp_id,
        "lcp_name": lcp_name(programme, action.lcp_id),
        "organisation_id": action.organisation_id,
        "organisation": organisation.name if organisation else None,
    }


def action_reminders(snapshot: Snapshot, programme: Programme, now: dt.datetime) -> list[Message]:
    clock = Clock.of(programme, now)
    today = clock.today
    before = programme.reminders.action_working_days_before
    opens: dict[dt.date, dt.date] = {}  # due date -> first day of its reminder window (many actions share a date)
    messages = []
    for action in snapshot.actions.values():
        due = action.due_date
        if action.status != "open" or past_due(due, today):
            continue
        if due not in opens:
            opens[due] = clock.cal.add_working_days(due, -before)
        if today < opens[due]:
            continue
        about = _context(action, snapshot, programme)
        left = clock.cal.working_days_between(today, due)
        for to in owners(action, snapshot, programme):
            messages.append(
                Message(
                    key=keys.action_reminder(action.id, action.due_date, to.email),
                    purpose="action_reminder",
                    template="action_reminder",
                    to=to,
                    context={**base_context(programme, to), **about, "working_days_left": left},
                    wave_id=about.get("wave_id"),
                    lcp_id=action.lcp_id,
                    workshop_id=action.workshop_id,
                    stale_after=clock.midnight(action.due_date + dt.timedelta(days=1)),
                )
            )
    return messages


def overdue_notices(
    snapshot: Snapshot, programme: Programme, now: dt.datetime, marks: Iterable[OverdueMark]
) -> list[Message]:
    """The owners' notices for actions being marked overdue now. Queued in the same transaction as the marks, so
    each owner is told exactly once without deciding it again every day."""
    clock = Clock.of(programme, now)
    messages = []
    for mark in marks:
        action = snapshot.actions[mark.action_id]
        if not is_overdue(action, clock.today):
            continue
        since = mark.since
        about = _context(action, snapshot, programme)
        for to in owners(action, snapshot, programme):
            messages.append(
                Message(
                    key=keys.action_overdue(action.id, to.email),
                    purpose="action_overdue",
                    template="action_overdue",
                    to=to,
                    context={
                        **base_context(programme, to),
                        **about,
                        "overdue_since": since,
                        "overdue_since_text": long_date(since),
                    },
                    wave_id=about.get("wave_id"),
                    lcp_id=action.lcp_id,
                    workshop_id=action.workshop_id,
                )
            )
    return messages
