"""Reading the launch decisions kept for each wave (recording one is rollout.programme.launch's `record_decision`).
Apart from launch, so `rollout status` shows them without loading the launch's planning and outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.db import models


def latest_decisions(session: Session) -> dict[str, models.LaunchDecision]:
    """Each wave's most recent launch decision."""
    rows = session.scalars(select(models.LaunchDecision).order_by(models.LaunchDecision.id)).all()
    return {row.wave_id: row for row in rows}


def describe_decision(row: models.LaunchDecision) -> str:
    """'rejected 2022-09-01 by Sam: dates not agreed', for `rollout status` and the run's artifact."""
    when = f"{row.decided_at:%Y-%m-%d %H:%M}Z"
    if row.decision == "timed_out":
        return f"timed out {when}: nobody answered the approval request"
    why = f": {row.note}" if row.note else ""
    return f"{row.decision.replace('_', ' ')} {when} by {row.decided_by}{why}"
