"""The daily reconciler: compare the database with `now`, do what is due and not yet done.

Level-triggered: a missed day, a re-run or a week's outage is caught up correctly, and a reminder whose moment
has passed is dropped, never sent late. Pure deciders (reminders, follow_ups, actions, stalls) work on a snapshot
loaded in a fixed number of queries (state); apply writes their decisions; run ties the steps together.

Public API:
    STEPS                                                          the steps in order (run.py): the flow, run_reconcile
                                                                   and preview all follow it
    run_reconcile(services, as_of=None, *, send=True) -> ReconcileReport
    sync_rsvps / record_changes / queue_messages / deliver        what the steps do, one side effect each
    preview(sessions, programme, as_of) -> Preview                a dry run: what would be recorded and sent
    load_snapshot(session, as_of) -> Snapshot
    decide_changes / decide_messages (snapshot, programme, now)   pure
    current_stalls(snapshot, programme, today) -> {hub id: {reason: stalled since}}
    hub_statuses(snapshot, programme, now) -> [HubStatus]          where each hub stands (views.py)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rollout.reconcile.decide import Changes, Outgoing, decide_changes, decide_messages
    from rollout.reconcile.rsvp import RsvpReport, sync_rsvps
    from rollout.reconcile.run import (
        STEPS,
        Preview,
        ReconcileReport,
        Step,
        deliver,
        preview,
        queue_messages,
        record_changes,
        run_reconcile,
    )
    from rollout.reconcile.stalls import current_stalls
    from rollout.reconcile.state import Snapshot, load_snapshot
    from rollout.reconcile.views import HubStatus, hub_statuses

# Each name is imported from its module when first asked for: `rollout hubs list` needs the snapshot and the views,
# not the reconciler's steps (which bring the outbox, delivery and rendering).
_HOMES = {
    **dict.fromkeys(("Changes", "Outgoing", "decide_changes", "decide_messages"), "decide"),
    **dict.fromkeys(("RsvpReport", "sync_rsvps"), "rsvp"),
    **dict.fromkeys(
        (
            "STEPS",
            "Preview",
            "ReconcileReport",
            "Step",
            "deliver",
            "preview",
            "queue_messages",
            "record_changes",
            "run_reconcile",
        ),
        "run",
    ),
    "current_stalls": "stalls",
    **dict.fromkeys(("Snapshot", "load_snapshot"), "state"),
    **dict.fromkeys(("HubStatus", "hub_statuses"), "views"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # a submodule (`from rollout.reconcile import keys`) is then imported by the import system
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "STEPS",
    "Changes",
    "HubStatus",
    "Outgoing",
    "Preview",
    "ReconcileReport",
    "RsvpReport",
    "Snapshot",
    "Step",
    "current_stalls",
    "decide_changes",
    "decide_messages",
    "deliver",
    "hub_statuses",
    "load_snapshot",
    "preview",
    "queue_messages",
    "record_changes",
    "run_reconcile",
    "sync_rsvps",
]
