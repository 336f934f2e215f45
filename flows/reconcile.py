"""`reconcile`: the daily run that keeps the rollout moving (RSVPs, reminders, follow-ups, actions, stalled hubs).

Level-triggered: it compares the database with `as_of` and does what is due and not yet done, so a missed day or
a re-run is harmless. The work is in rollout.reconcile; this flow only orders the steps and reports.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.arguments import as_is
from flows.run_tags import tag_this_run
from flows.stops import stopped
from rollout.config import Programme
from rollout.db.types import utcnow
from rollout.errors import InputError, SystemicError
from rollout.planning.status import active_waves
from rollout.reconcile import ReconcileReport
from tasks.delivery import deliver_outbox
from tasks.preflight import check_microsoft_365
from tasks.programme import load_programme_file
from tasks.reconcile import (
    collect_attendance_task,
    publish_reconcile_summary,
    queue_messages_task,
    record_changes_task,
    sync_rsvps_task,
)


def run_name() -> str:
    """'reconcile · 2022-10-04' (the as-of date; today when not given)."""
    value = flow_run.parameters.get("as_of") if flow_run.parameters else None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    moment = value if isinstance(value, dt.datetime) else utcnow()
    return f"reconcile · {moment:%Y-%m-%d}"


@flow(name="reconcile", flow_run_name=run_name, log_prints=False)
def reconcile(as_of: dt.datetime | None = None, config_path: str | None = None) -> dict[str, object]:
    """Sync RSVPs, record what changed, queue what is due, deliver it, and publish a summary. Stops (Failed, one
    message naming the fix) when Microsoft 365 refuses the app: before anything is recorded or queued if it does
    so at the start, with every unsent message still queued if it does so mid-delivery."""
    now = (as_of or utcnow()).astimezone(dt.UTC)
    programme = load_programme_file(config_path)
    today = now.astimezone(programme.tz).date()
    tag_this_run("reconcile", *(f"wave:{wave}" for wave in active_waves(programme, today)))
    try:
        check_microsoft_365(as_is(programme))
    except (SystemicError, InputError) as error:
        return stopped(error, "nothing was recorded or queued")
    try:
        return _reconcile(programme, now, as_of)
    except (SystemicError, InputError) as error:
        return stopped(error)


def _reconcile(programme: Programme, now: dt.datetime, as_of: dt.datetime | None) -> dict[str, object]:
    logger = get_run_logger()
    report = ReconcileReport(as_of=now)
    report.rsvp = sync_rsvps_task(as_is(programme), now)
    logger.info("RSVPs: %s", report.rsvp.summary())
    report.attendance = collect_attendance_task(as_is(programme), now)
    logger.info("Teams attendance: %s", report.attendance.summary())
    report.changes = record_changes_task(as_is(programme), now)
    report.queue = queue_messages_task(as_is(programme), now)
    summary = report.summary()
    logger.info(
        "actions created %s, overdue %s, escalations opened %s closed %s; queued %s",
        summary["actions_created"],
        summary["overdue_marked"],
        summary["escalations_opened"],
        summary["escalations_closed"],
        summary["queued"] or "nothing",
    )
    report.delivery = deliver_outbox(as_is(programme), as_of)
    publish_reconcile_summary(as_is(report), as_is(programme))
    return report.summary()
