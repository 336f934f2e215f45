"""Database side of a launch: persist the plan, then queue its intents. Each task takes the run's services
(no cache policy: a sessionmaker is not data to hash) and stamps what it records with their clock: the run's
as_of, else now."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.cache_policies import NONE

from rollout.db.session import unit_of_work
from rollout.programme.launch import LaunchPlan, prepare_launch, queue_launch
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


@task(name="record-approval", cache_policy=NONE)
def record_approval(services: Services, wave_id: str, approved_by: str) -> None:
    from rollout.db import models

    with unit_of_work(services.sessions) as session:
        wave = session.get_one(models.Wave, wave_id)
        wave.approved_at, wave.approved_by = services.now(), approved_by


@task(name="read-launch-outcome", cache_policy=NONE)
def read_launch_statuses(services: Services, launch: LaunchPlan) -> dict[str, tuple[str, str | None]]:
    """The outbox status of each event change this launch queued (sent, failed with its code, ...)."""
    with services.sessions() as session:
        return outbox_statuses(session, [i.key for i in launch.intents])

