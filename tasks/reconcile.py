"""The reconcile steps as Prefect tasks (the steps and their order are rollout.reconcile.run.STEPS)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from prefect import Task, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from rollout.attendance.figures import summary_figures
from rollout.reconcile import ReconcileReport, Step
from rollout.services import Services
from tasks.artifacts import artifact_key
from tasks.preflight import unless_refused


@functools.cache
def step_task(step: Step) -> Task[..., Any]:
    """`step` as a task named after it, its runs after their as-of day, e.g. 'record-changes · 2022-10-19'. Made
    once per step (a Task is costly to build, and every reconcile runs each step). No cache policy: its argument
    is the run's services (a sessionmaker, a gateway), which Prefect cannot and need not hash."""
    return task(
        name=step.name,
        task_run_name=_run_name(step.name),
        retries=step.retries,
        retry_delay_seconds=20 if step.retries else 0,
        retry_condition_fn=unless_refused,  # a refusal of the app needs a person, not another try
        tags=list(step.tags),
        cache_policy=NONE,
    )(step.run)


def _run_name(step_name: str) -> Callable[..., str]:
    def run_name(parameters: dict[str, Any]) -> str:
        moment = next((v for v in parameters.values() if isinstance(v, dt.datetime)), None)
        return f"{step_name} · {moment:%Y-%m-%d}" if moment else step_name

    return run_name


@task(name="publish-reconcile-summary", cache_policy=NONE)
def publish_reconcile_summary(services: Services, report: ReconcileReport) -> None:
    programme = services.programme
    local = report.as_of.astimezone(programme.tz)
    create_markdown_artifact(
        key=artifact_key("reconcile-summary"),
        markdown=report.markdown(programme, attendance=summary_figures(services.sessions, programme, report.as_of)),
        description=f"What the reconcile run of {local:%Y-%m-%d} did",
    )
