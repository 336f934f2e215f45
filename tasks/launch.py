"""Database side of a launch: persist the plan, then queue its intents."""

from __future__ import annotations

import datetime as dt

from prefect import task

from rollout.config import Programme
from rollout.db.session import unit_of_work
from rollout.db.types import utcnow
from rollout.programme.launch import LaunchPlan, prepare_launch, queue_launch
from rollout.programme.launch_report import outbox_statuses
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


@task(name="record-approval")
def record_approval(wave_id: str, approved_by: str, as_of: dt.datetime | None = None) -> None:
    from rollout.db import models

    with unit_of_work(sessions()) as session:
        wave = session.get_one(models.Wave, wave_id)
        wave.approved_at, wave.approved_by = as_of or utcnow(), approved_by


@task(name="read-launch-outcome")
def read_launch_statuses(launch: LaunchPlan) -> dict[str, tuple[str, str | None]]:
    """The outbox status of each event change this launch queued (sent, failed with its code, ...)."""
    with sessions()() as session:
        return outbox_statuses(session, [i.key for i in launch.intents])

