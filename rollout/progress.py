"""Recording progress: the one place hub stages and action completions change, with who, when and how."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
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
