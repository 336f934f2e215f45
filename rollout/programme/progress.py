"""Recording progress: the one place hub stages, action completions and escalation states change.

Every change is stored with who, when and how (`source`: import, cli, checkin, reconcile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.db.types import utcnow


def create_hub(
    session: Session,
    organisation: models.Organisation,
    stage: int,
    *,
    by: str,
    source: str,
    at: dt.datetime | None = None,
    note: str | None = None,
) -> models.Hub:
    at = at or utcnow()
    hub = models.Hub(organisation_id=organisation.id, stage=stage, stage_since=at)
    session.add(hub)
    session.flush()
    session.add(
        models.HubStageChange(
            hub_id=hub.id, from_stage=None, to_stage=stage, changed_at=at, changed_by=by, source=source, note=note
        )
    )
    return hub


def move_hub(
    session: Session,
    hub: models.Hub,
    stage: int,
    *,
    by: str,
    source: str,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Set the hub's stage; False (and nothing stored) when it is already there."""
    if hub.stage == stage:
        return False
    at = at or utcnow()
    session.add(
        models.HubStageChange(
            hub_id=hub.id, from_stage=hub.stage, to_stage=stage, changed_at=at, changed_by=by, source=source, note=note
        )
    )
    hub.stage, hub.stage_since = stage, at
    session.flush()
    return True


def create_hubs(
    session: Session,
    stages: Iterable[tuple[int, int]],
    *,
    by: str,
    source: str,
    at: dt.datetime | None = None,
) -> dict[int, int]:
    """create_hub in bulk: (organisation id, stage) pairs; returns {organisation id: hub id}. Two statements."""
    at = at or utcnow()
    wanted = dict(stages)
    if not wanted:
        return {}
    hub_table = cast(Table, models.Hub.__table__)  # Core statements: no per-row ORM work
    inserted = session.execute(
        insert(hub_table).returning(hub_table.c.id, hub_table.c.organisation_id, sort_by_parameter_order=True),
        [
            {"organisation_id": org, "stage": stage, "stage_since": at, "created_at": at}
            for org, stage in wanted.items()
        ],
    )
    hubs = {org: hub for hub, org in inserted.tuples()}
    _stage_changes(session, [(hubs[org], None, stage) for org, stage in wanted.items()], by=by, source=source, at=at)
    return hubs


def move_hubs(
    session: Session,
    moves: Iterable[tuple[int, int, int]],
    *,
    by: str,
    source: str,
    at: dt.datetime | None = None,
) -> int:
    """move_hub in bulk: (hub id, current stage, new stage) triples; moves to the current stage are skipped."""
    at = at or utcnow()
    changed = [(hub, before, after) for hub, before, after in moves if before != after]
    if not changed:
        return 0
    hub_table = cast(Table, models.Hub.__table__)
    session.execute(
        update(hub_table)
        .where(hub_table.c.id == bindparam("hub_id"))
        .values(stage=bindparam("to_stage"), stage_since=bindparam("since")),
        [{"hub_id": hub, "to_stage": after, "since": at} for hub, _, after in changed],
    )
    _stage_changes(session, changed, by=by, source=source, at=at)
    return len(changed)


def _stage_changes(
    session: Session, changes: Sequence[tuple[int, int | None, int]], *, by: str, source: str, at: dt.datetime
) -> None:
    session.execute(
        insert(cast(Table, models.HubStageChange.__table__)),
        [
            {
                "hub_id": hub,
                "from_stage": before,
                "to_stage": after,
                "changed_at": at,
                "changed_by": by,
                "source": source,
                "note": None,
            }
            for hub, before, after in changes
        ],
    )


def complete_action(
    session: Session,
    action: models.Action,
    *,
    by: str,
    source: str,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Mark the action done; False (and nothing stored) when it already was."""
    if action.status == "done":
        return False
    at = at or utcnow()
    action.status, action.done_at, action.done_by = "done", at, by
    session.add(
        models.ActionChange(action_id=action.id, status="done", changed_at=at, changed_by=by, source=source, note=note)
    )
    session.flush()
    return True


def mark_actions_overdue(
    session: Session, marks: Iterable[tuple[int, dt.date]], *, by: str = "reconcile", at: dt.datetime | None = None
) -> int:
    """Set `overdue_since` on open actions that have none yet (in bulk), with one history row each."""
    at = at or utcnow()
    wanted = dict(marks)
    if not wanted:
        return 0
    ids = list(
        session.scalars(
            select(models.Action.id).where(
                models.Action.id.in_(list(wanted)),
                models.Action.status == "open",
                models.Action.overdue_since.is_(None),
            )
        )
    )
    if not ids:
        return 0
    session.execute(update(models.Action), [{"id": i, "overdue_since": wanted[i]} for i in ids])
    session.execute(
        insert(models.ActionChange),
        [
            {
                "action_id": i,
                "status": "overdue",
                "changed_at": at,
                "changed_by": by,
                "source": "reconcile",
                "note": f"due {wanted[i] - dt.timedelta(days=1)}, not done",
            }
            for i in ids
        ],
    )
    return len(ids)


def acknowledge_escalation(
    session: Session,
    escalation: models.Escalation,
    *,
    by: str,
    source: str,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """No further levels for this stall; False (nothing stored) when it is closed or already acknowledged."""
    if escalation.status in ("acknowledged", "closed"):
        return False
    at = at or utcnow()
    escalation.status, escalation.acknowledged_by, escalation.acknowledged_at = "acknowledged", by, at
    escalation.snoozed_until = None
    _escalation_change(session, escalation, "acknowledged", by=by, source=source, note=note, at=at)
    return True


def snooze_escalation(
    session: Session,
    escalation: models.Escalation,
    until: dt.date,
    *,
    by: str,
    source: str,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """No levels before `until` (a local date); False (nothing stored) when closed or snoozed to that day already."""
    if escalation.status == "closed" or (escalation.status == "snoozed" and escalation.snoozed_until == until):
        return False
    at = at or utcnow()
    escalation.status, escalation.snoozed_until = "snoozed", until
    _escalation_change(session, escalation, "snoozed", by=by, source=source, note=note, at=at, until=until)
    return True


def end_snooze(
    session: Session, escalation: models.Escalation, *, by: str = "reconcile", at: dt.datetime | None = None
) -> bool:
    if escalation.status != "snoozed":
        return False
    at = at or utcnow()
    escalation.status = "open"
    _escalation_change(
        session, escalation, "snooze_ended", by=by, source="reconcile", at=at, until=escalation.snoozed_until
    )
    return True


def close_escalation(
    session: Session,
    escalation: models.Escalation,
    reason: str,
    *,
    by: str = "reconcile",
    source: str = "reconcile",
    at: dt.datetime | None = None,
) -> bool:
    """The stall is over (progress resolved it): no further levels, ever. False when already closed."""
    if escalation.status == "closed":
        return False
    at = at or utcnow()
    escalation.status, escalation.closed_at, escalation.closed_reason = "closed", at, reason[:200]
    _escalation_change(session, escalation, "closed", by=by, source=source, note=reason, at=at)
    return True


def _escalation_change(
    session: Session,
    escalation: models.Escalation,
    change: str,
    *,
    by: str,
    source: str,
    at: dt.datetime,
    note: str | None = None,
    until: dt.date | None = None,
) -> None:
    session.add(
        models.EscalationChange(
            escalation_id=escalation.id,
            change=change,
            snoozed_until=until,
            changed_at=at,
            changed_by=by,
            source=source,
            note=note,
        )
    )
    session.flush()


def request_help(
    session: Session,
    hub: models.Hub,
    *,
    by: str,
    source: str,
    note: str | None = None,
    contact_id: int | None = None,
    at: dt.datetime | None = None,
) -> models.HubHelpRequest | None:
    """Record that the hub asked for help; None (and nothing stored) when it already asked at its current stage.

    A hub can ask once per period at a stage (once per stall): moving to another stage starts a new period.
    """
    if help_requested(session, hub) is not None:
        return None
    request = models.HubHelpRequest(
        hub_id=hub.id,
        stage=hub.stage,
        stage_since=hub.stage_since,
        requested_at=at or utcnow(),
        requested_by=by,
        contact_id=contact_id,
        source=source,
        note=note,
    )
    session.add(request)
    session.flush()
    return request


def help_requested(session: Session, hub: models.Hub) -> models.HubHelpRequest | None:
    """The hub's help request for its current period at its stage, if it made one."""
    return session.scalars(
        select(models.HubHelpRequest).where(
            models.HubHelpRequest.hub_id == hub.id, models.HubHelpRequest.stage_since == hub.stage_since
        )
    ).one_or_none()
