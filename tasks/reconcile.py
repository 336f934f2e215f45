"""The reconcile steps as Prefect tasks (the steps and their order are rollout.reconcile.run.STEPS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import Task, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from rollout.attendance.figures import summary_figures
from rollout.reconcile import ReconcileReport, Step
from rollout.services import Services
from tasks.artifacts import artifact_key
from tasks.preflight import unless_refused


def step_task(step: Step, as_of: dt.datetime) -> Task[..., Any]:
    """`step` as a task named after it, e.g. run 'record-changes · 2022-10-19'. No cache policy: its argument is
    the run's services (a sessionmaker, a gateway), which Prefect cannot and need not hash."""
    return task(
        name=step.name,
        task_run_name=f"{step.name} · {as_of:%Y-%m-%d}",
        retries=step.retries,
        retry_delay_seconds=20 if step.retries else 0,
        retry_condition_fn=unless_refused,  # a refusal of the app needs a person, not another try
        tags=list(step.tags),
        cache_policy=NONE,
    )(step.run)


@task(name="publish-reconcile-summary", cache_policy=NONE)
def publish_reconcile_summary(services: Services, report: ReconcileReport) -> None:
    programme = services.programme
    local = report.as_of.astimezone(programme.tz)
    create_markdown_artifact(
        key=artifact_key("reconcile-summary"),
        markdown=report.markdown(programme, attendance=summary_figures(services.sessions, programme, report.as_of)),
        description=f"What the reconcile run of {local:%Y-%m-%d} did",
    )
