"""Would a reconcile at `as_of` do anything? Asked with the reconciler's own pure deciders, so the simulation can
skip the days on which the daily run would change nothing, and still produce exactly what daily runs produce.

The reconcile is level-triggered: a run changes something only if (a) Outlook holds a reply the database has not
recorded for a workshop within the RSVP horizon, or an event cancelled there; (b) decide_changes finds an action to
create, an action to mark overdue, an escalation to open, close or take out of snooze; (c) decide_messages finds a
message not yet in the outbox, an escalation level not yet reached, or a queued message to drop; or (d) the outbox
holds a row due for delivery. When none holds, the run would read, decide nothing and write nothing: skipping it
leaves the database, Outlook and every mailbox exactly as running it would.

The database is read once after each change (an `Observation`); each day is then decided in memory, so asking
about a quiet day costs a few milliseconds and no flow run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme
from rollout.db import models
from rollout.m365.events import event_state
from rollout.outbound.gateway import EventState
from rollout.reconcile import decide_changes, decide_messages, load_snapshot
from rollout.reconcile.rsvp import horizon_days, response_updates
from rollout.reconcile.state import RECENT_DAYS, Snapshot
from rollout.reconcile.workshops import configured_wave


@dataclass(frozen=True)
class Observation:
    """What the reconciler would read: the database as of `taken`, and the organiser's events in Outlook."""

    taken: dt.datetime
    snapshot: Snapshot  # loaded as of `taken`: a superset of what a later load would hold
    outbox_keys: frozenset[str]
    due_rows: tuple[dt.datetime | None, ...]  # not_before of rows waiting for the deliverer
    events: Mapping[str, EventState]  # by event id


def observe(session: Session, as_of: dt.datetime, outlook_events: list[dict[str, object]]) -> Observation:
    Ob = models.OutboundMessage
    connection = session.connection()  # Core: plain values, none of the ORM's result machinery for every key
    keys = frozenset(connection.execute(select(Ob.idempotency_key)).scalars())
    waiting = tuple(connection.execute(select(Ob.not_before).where(Ob.status.in_(("pending", "sending")))).scalars())
    return Observation(as_of, load_snapshot(session, as_of), keys, waiting, events_by_id(outlook_events))


def events_by_id(outlook_events: list[dict[str, object]]) -> dict[str, EventState]:
    return {str(e["id"]): event_state(str(e["id"]), e) for e in outlook_events if e.get("id")}


def with_outlook(observation: Observation, outlook_events: list[dict[str, object]]) -> Observation:
    """The observation after replies in Outlook alone (the database unchanged): only the events are read again."""
    return dataclasses.replace(observation, events=events_by_id(outlook_events))


def as_loaded_at(snapshot: Snapshot, as_of: dt.datetime) -> Snapshot:
    """The snapshot load_snapshot(session, as_of) would return, given an unchanged database and a snapshot loaded
    earlier: invitations and actions of workshops that are no longer recent drop out, as the query leaves them."""
    recent = {w.id for w in snapshot.workshops.values() if w.starts_at >= as_of - dt.timedelta(days=RECENT_DAYS)}
    return dataclasses.replace(
        snapshot,
        as_of=as_of,
        invitations=tuple(i for i in snapshot.invitations if i.workshop_id in recent),
        actions={k: a for k, a in snapshot.actions.items() if a.status == "open" or a.workshop_id in recent},
    )


def reasons_to_run(
    observation: Observation, programme: Programme, as_of: dt.datetime, *, record_replies: bool = True
) -> list[str]:
    """Why a reconcile at `as_of` would change something (empty: it would not). `as_of` must not be earlier than
    the observation.

    Replies waiting in Outlook are decided on as the run would see them (after its RSVP sync). With
    `record_replies` False, replies alone are not a reason to run: a quiet day whose only change would be to
    record them is skipped, and the next run records them (the simulation makes sure one runs before each digest,
    which reports replies, and on its last day)."""
    if as_of < observation.taken:
        raise ValueError(f"as_of {as_of} is before the observation ({observation.taken})")
    snapshot = as_loaded_at(observation.snapshot, as_of)
    replies, cancelled = pending_sync(snapshot, observation.events, programme, as_of)
    found: list[str] = []
    collections = attendance_to_collect(snapshot, programme, as_of)
    if collections:
        found.append(f"{collections} Teams attendance reports to collect")
    if cancelled:
        found.append(f"{cancelled} workshops cancelled in Outlook")
    if replies and record_replies:
        found.append(f"{len(replies)} replies to record")
    snapshot = with_responses(snapshot, replies)
    changes = decide_changes(snapshot, programme, as_of)
    stalls = changes.stalls
    for count, what in (
        (len(changes.new_actions), "actions to create"),
        (len(changes.overdue), "actions overdue"),
        (len(stalls.opened), "escalations to open"),
        (len(stalls.closed), "escalations to close"),
        (len(stalls.snooze_ended), "snoozes ending"),
    ):
        if count:
            found.append(f"{count} {what}")
    if found:
        return found  # the run records changes; what it then queues is decided on the changed database
    outgoing = decide_messages(snapshot, programme, as_of)
    new = [m for m in outgoing.messages if m.key not in observation.outbox_keys]
    for count, what in (
        (len(new), "messages to queue"),
        (len(outgoing.notices), "escalation levels reached"),
        (len(outgoing.superseded), "queued messages no longer due"),
        (sum(1 for t in observation.due_rows if t is None or t <= as_of), "outbox rows to deliver"),
    ):
        if count:
            found.append(f"{count} {what}")
    return found


def attendance_to_collect(snapshot: Snapshot, programme: Programme, as_of: dt.datetime) -> int:
    """Online workshops the run would ask Teams about: ended, within the collection window, attendance not yet
    known (rollout.attendance.teams.due_collections, on the snapshot)."""
    today = as_of.astimezone(programme.tz).date()
    window = dt.timedelta(days=programme.attendance.collect_for_days)
    return sum(
        1
        for w in snapshot.workshops.values()
        if w.format == "teams"
        and w.status == "scheduled"
        and w.event_id is not None
        and w.ends_at <= as_of
        and today <= w.starts_at.astimezone(programme.tz).date() + window
        and w.id not in snapshot.attendance.known
        and (wave := configured_wave(programme, w.wave_id)) is not None
        and w.number not in wave.cancelled_workshops
    )


def pending_sync(
    snapshot: Snapshot, events: Mapping[str, EventState], programme: Programme, as_of: dt.datetime
) -> tuple[dict[int, str], int]:
    """What sync_rsvps would record at `as_of`: {invitation id: new response}, and how many workshops it would
    mark cancelled. The same workshops (scheduled, starting within the horizon, not being cancelled), compared
    with the same pure function."""
    horizon = as_of + dt.timedelta(days=horizon_days(programme))
    replies: dict[int, str] = {}
    cancelled = 0
    for workshop in snapshot.workshops.values():
        if workshop.status != "scheduled" or workshop.event_id is None or not as_of < workshop.starts_at <= horizon:
            continue
        wave = configured_wave(programme, workshop.wave_id)
        if wave is None or workshop.number in wave.cancelled_workshops:
            continue
        state = events.get(workshop.event_id)
        if state is None or state.is_cancelled:
            cancelled += 1
            continue
        stored = [(i.id, i.email, i.response) for i in snapshot.invitations_by_workshop.get(workshop.id, [])]
        replies.update((u.invitation_id, u.response) for u in response_updates(stored, state))
    return replies, cancelled


def with_responses(snapshot: Snapshot, responses: Mapping[int, str]) -> Snapshot:
    """The snapshot as it would be after recording `responses` (invitation id -> response)."""
    if not responses:
        return snapshot
    return dataclasses.replace(
        snapshot,
        invitations=tuple(
            dataclasses.replace(i, response=responses[i.id]) if i.id in responses else i for i in snapshot.invitations
        ),
    )
