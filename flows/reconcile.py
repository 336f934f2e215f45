"""`reconcile`: the daily run that keeps the rollout moving (RSVPs, reminders, follow-ups, actions, stalled hubs).

Level-triggered: it compares the database with `as_of` and does what is due and not yet done, so a missed day or
a re-run is harmless. The steps and their order are rollout.reconcile.run.STEPS; this flow runs each as a task and
reports.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.arguments import as_is
from flows.run_tags import tag_this_run
from flows.stops import stopped
from rollout.db.types import utcnow
from rollout.errors import InputError, SystemicError
from rollout.planning.status import active_waves
from rollout.reconcile import ReconcileReport
from rollout.reconcile import run as reconcile_run
from rollout.services import Services, services_for_run
from tasks.preflight import check_microsoft_365
from tasks.reconcile import publish_reconcile_summary, step_task


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
    with services_for_run(config_path, as_of) as services:
        now = services.now()
        programme = services.programme
        today = now.astimezone(programme.tz).date()
        tag_this_run("reconcile", *(f"wave:{wave}" for wave in active_waves(programme, today)))
        try:
            check_microsoft_365(as_is(services))
        except (SystemicError, InputError) as error:
            return stopped(error, "nothing was recorded or queued")
        try:
            return _reconcile(services, now)
        except (SystemicError, InputError) as error:
            return stopped(error)


def _reconcile(services: Services, now: dt.datetime) -> dict[str, object]:
    logger = get_run_logger()
    report = ReconcileReport(as_of=now)
    for step in reconcile_run.STEPS:  # read at run time: the one list of steps, in order
        result = step_task(step)(as_is(services), now)
        if step.record is not None:
            step.record(report, result)
    summary = report.summary()
    logger.info(
        "RSVPs %s; Teams attendance %s; actions created %s, overdue %s, escalations opened %s closed %s; "
        "queued %s; delivery %s",
        summary["rsvp"],
        summary["attendance"],
        summary["actions_created"],
        summary["overdue_marked"],
        summary["escalations_opened"],
        summary["escalations_closed"],
        summary["queued"] or "nothing",
        summary["delivery"],
    )
    publish_reconcile_summary(as_is(services), as_is(report))
    return summary
