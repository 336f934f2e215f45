"""The deliverer as a task: every flow drains the outbox through it, with progress visible in the Prefect UI."""

from __future__ import annotations

import time
from typing import cast
from uuid import UUID

from prefect import task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from rollout.errors import SystemicError
from rollout.outbound.delivery import Deliverer, DeliveryReport, LeaseHeld
from rollout.services import Services

# The event ops' automation "rollout: delivery stopped" (deployments/automations.py) listens for.
SYSTEMIC_EVENT = "rollout.delivery.systemic-failure"

PROGRESS_EVERY_S = 2.0  # how often the progress bar is updated while a delivery runs (and once at the end)


# No task-level retries: transient Graph errors are retried per row inside the deliverer with backoff.
# No cache policy: the argument is the run's services (a sessionmaker, a gateway), not data to hash.
@task(name="deliver-outbox", tags=["graph-delivery"], cache_policy=NONE)
def deliver_outbox(services: Services) -> DeliveryReport:
    """Send what the outbox holds, judging staleness and retry times by the services' clock (a run's `as_of`)."""
    logger = get_run_logger()
    deliverer = Deliverer(services.sessions, services.gateway, clock=services.clock)
    bar = _ProgressBar()
    last_logged = [0]

    def on_progress(report: DeliveryReport, total: int) -> None:
        done = report.handled + report.retry_later
        bar.total = total
        if total:
            bar.show(100.0 * done / total, progress_text(report, total))
        if done - last_logged[0] >= 25 or done == total:
            last_logged[0] = done
            logger.info("outbox: %d of %d: %s", done, total, report.summary())

    try:
        report = deliverer.run(on_progress=on_progress)
    except LeaseHeld as exc:
        logger.warning("%s; its run will deliver what is queued", exc)
        return DeliveryReport()
    except SystemicError as exc:
        announce_refusal(services, exc)
        raise
    bar.finish(progress_text(report, bar.total or report.handled + report.retry_later + report.waiting))
    logger.info("outbox delivered: %s", report.summary())
    for failure in report.failures:
        logger.error("not delivered: %s", failure)
    return report


def progress_text(report: DeliveryReport, total: int) -> str:
    """'48 of 180 messages sent (2 failed, 3 to retry)': counts a person can check against the outbox.

    A message is one outbox row: an email, or one workshop's calendar invitation (however many people it invites)."""
    others = [
        f"{n} {word}"
        for n, word in (
            (report.failed, "failed"),
            (report.retry_later, "to retry"),
            (report.dropped, "dropped as out of date"),
            (report.waiting, "waiting for their event"),
        )
        if n
    ]
    return f"{report.sent} of {total} messages sent" + (f" ({', '.join(others)})" if others else "")


class _ProgressBar:
    """The delivery's progress artifact, for a drain someone may watch: made once a delivery has run for
    PROGRESS_EVERY_S (a drain done sooner is reported by the run's log and summary, not by a bar that is full before
    anyone could look), moved every few seconds (one API call per row would double a fast delivery's cost), and
    filled at the end."""

    def __init__(self) -> None:
        self.id: UUID | None = None
        self.shown = time.monotonic()  # the first bar appears PROGRESS_EVERY_S after the drain starts
        self.total = 0

    def show(self, percent: float, text: str) -> None:
        now = time.monotonic()
        if now - self.shown < PROGRESS_EVERY_S:
            return
        self.shown = now
        progress, description = min(100.0, percent), f"Delivery: {text}"
        if self.id is None:
            self.id = cast(UUID, create_progress_artifact(progress=progress, description=description))
        else:
            update_progress_artifact(self.id, progress=progress, description=description)

    def finish(self, text: str) -> None:
        if self.id is not None:
            update_progress_artifact(self.id, progress=100.0, description=f"Delivery: {text}")


def announce_refusal(services: Services, error: SystemicError) -> None:
    """Tell Prefect's automations that Microsoft 365 refused the app (the run's state says it too, for people)."""
    from prefect.events import emit_event

    mailbox = services.programme.programme.organiser_mailbox
    emit_event(
        event=SYSTEMIC_EVENT,
        resource={"prefect.resource.id": f"rollout.mailbox.{mailbox}", "rollout.mailbox": mailbox},
        payload={"cause": getattr(error, "cause", None) or str(error).splitlines()[0]},
    )
