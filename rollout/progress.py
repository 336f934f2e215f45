"""Recording progress: the one place hub stages and action completions change, with who, when and how."""

from __future__ import annotations

import datetime as dt

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
) -> models.Hub:
    at = at or utcnow()
    hub = models.Hub(organisation_id=organisation.id, stage=stage, stage_since=at)
    session.add(hub)
    session.flush()
    session.add(
        models.HubStageChange(
            hub_id=hub.id, from_stage=None, to_stage=stage, changed_at=at, changed_by=by, source=source
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
