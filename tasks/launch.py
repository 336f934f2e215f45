"""Database side of a launch: persist the plan, record the approval decision, then queue its intents."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.runtime import flow_run

from rollout.config import Programme
from rollout.db.session import unit_of_work
from rollout.db.types import utcnow
from rollout.programme.launch import (
    Decision,
    LaunchPlan,
    describe_decision,
    prepare_launch,
    queue_launch,
    record_decision,
)
from rollout.runtime import sessions


@task(name="persist-wave-plan")
def persist_wave_plan(programme: Programme, wave_id: str, as_of: dt.datetime) -> LaunchPlan:
    with unit_of_work(sessions()) as session:
        return prepare_launch(session, programme, wave_id, as_of)


@task(name="queue-invitations")
def queue_invitations(launch: LaunchPlan, as_of: dt.datetime | None = None) -> list[str]:
    """Stamped with the run's as_of, else now (the moment of approval, which may be long after planning)."""
    with unit_of_work(sessions()) as session:
        return queue_launch(session, launch, as_of or utcnow())


@task(name="record-launch-decision")
def record_launch_decision(
    wave_id: str, decision: Decision, decided_by: str | None, note: str = "", as_of: dt.datetime | None = None
) -> str:
    """Store who answered the approval request, how and why, stamped with the run's as_of (else now); returns it in
    words."""
    run_id = flow_run.id
    with unit_of_work(sessions()) as session:
        row = record_decision(
            session,
            wave_id,
            decision,
            decided_by,
            note,
            at=as_of or utcnow(),
            flow_run_id=str(run_id) if run_id else None,
        )
        return describe_decision(row)
