"""The reconcile steps as Prefect tasks, one side effect each (the work is in rollout.reconcile)."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact

from rollout.attendance.figures import summary_figures
from rollout.attendance.teams import CollectReport, collect_attendance
from rollout.config import Programme
from rollout.reconcile import ReconcileReport, queue_messages, record_changes, sync_rsvps
from rollout.reconcile.apply import ChangeReport, QueueReport
from rollout.reconcile.rsvp import RsvpReport
from rollout.runtime import gateway, sessions
from tasks.artifacts import artifact_key
from tasks.preflight import unless_refused


# A read: safe to retry, unless Microsoft 365 refused the app (that needs a person). It fails the run (nothing
# queued) rather than remind on stale replies.
@task(name="sync-rsvps", retries=2, retry_delay_seconds=20, retry_condition_fn=unless_refused, tags=["graph-read"])
def sync_rsvps_task(programme: Programme, as_of: dt.datetime) -> RsvpReport:
    return sync_rsvps(sessions(), gateway(programme), programme, as_of)


# Reads Teams reports and records who came; a workshop whose report fails is retried by the next run.
@task(name="collect-attendance", tags=["graph-read"])
def collect_attendance_task(programme: Programme, as_of: dt.datetime) -> CollectReport:
    return collect_attendance(sessions(), gateway(programme), programme, as_of)


@task(name="record-changes")
def record_changes_task(programme: Programme, as_of: dt.datetime) -> ChangeReport:
    return record_changes(sessions(), programme, as_of)


@task(name="queue-messages")
def queue_messages_task(programme: Programme, as_of: dt.datetime) -> QueueReport:
    return queue_messages(sessions(), programme, as_of)


@task(name="publish-reconcile-summary")
def publish_reconcile_summary(report: ReconcileReport, programme: Programme) -> None:
    local = report.as_of.astimezone(programme.tz)
    create_markdown_artifact(
        key=artifact_key("reconcile-summary"),
        markdown=report.markdown(programme, attendance=summary_figures(sessions(), programme, report.as_of)),
        description=f"What the reconcile run of {local:%Y-%m-%d} did",
    )
