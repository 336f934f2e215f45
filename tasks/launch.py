"""Database side of a launch: persist the plan, record the approval decision, then queue its intents. Each task
takes the run's services (no cache policy: a sessionmaker is not data to hash) and stamps what it records with their
clock: the run's as_of, else now."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from rollout.db.session import unit_of_work
from rollout.programme.decisions import describe_decision
from rollout.programme.launch import (
    Decision,
    LaunchPlan,
    prepare_launch,
    queue_launch,
    record_decision,
)
from rollout.programme.launch_report import outbox_statuses
from rollout.services import Services


@task(name="persist-wave-plan", cache_policy=NONE)
def persist_wave_plan(services: Services, wave_id: str, as_of: dt.datetime) -> LaunchPlan:
    with unit_of_work(services.sessions) as session:
        return prepare_launch(session, services.programme, wave_id, as_of)


@task(name="queue-invitations", cache_policy=NONE)
def queue_invitations(services: Services, launch: LaunchPlan) -> list[str]:
    """Stamped at the services' clock: the run's as_of, else now (approval may come long after planning)."""
    with unit_of_work(services.sessions) as session:
        return queue_launch(session, launch, services.now())


@task(name="record-launch-decision", cache_policy=NONE)
def record_launch_decision(
    services: Services, wave_id: str, decision: Decision, decided_by: str | None, note: str
) -> str:
    """Store who answered the approval request, how and why, at the services' clock; returns it in words."""
    run_id = flow_run.id
    with unit_of_work(services.sessions) as session:
        row = record_decision(
            session,
            wave_id,
            decision,
            decided_by,
            note,
            at=services.now(),
            flow_run_id=str(run_id) if run_id else None,
        )
        return describe_decision(row)


@task(name="read-launch-outcome", cache_policy=NONE)
def read_launch_statuses(services: Services, launch: LaunchPlan) -> dict[str, tuple[str, str | None]]:
    """The outbox status of each event change this launch queued (sent, failed with its code, ...)."""
    with services.sessions() as session:
        return outbox_statuses(session, [i.key for i in launch.intents])
