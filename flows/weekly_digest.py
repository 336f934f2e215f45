"""`weekly-digest`: the Monday progress report, as a Prefect artifact and one email per recipient."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.arguments import as_is
from flows.run_tags import tag_this_run
from flows.stops import stopped
from rollout.config import load_programme
from rollout.db.types import utcnow
from rollout.digest import Week
from rollout.errors import InputError, SystemicError
from rollout.outbound.delivery import DeliveryReport
from rollout.services import services_for_run
from rollout.settings import Settings
from tasks.delivery import deliver_outbox
from tasks.digest import compute_digest_figures, publish_digest_artifact, queue_digest_emails, store_digest_snapshot
from tasks.preflight import check_microsoft_365


def digest_run_name() -> str:
    """'digest · week of 2022-10-17': the week the run reports on, whenever it was started."""
    parameters = flow_run.parameters
    as_of = parameters.get("as_of") or utcnow()
    if isinstance(as_of, str):
        as_of = dt.datetime.fromisoformat(as_of)
    try:
        settings = Settings.from_env(config_path=parameters.get("config_path"))
        timezone = load_programme(settings.config_path).programme.timezone
    except Exception:  # the run itself reports a broken config; the name falls back to the programme's zone
        timezone = "Europe/London"
    return f"digest · week of {Week.of(local_as_of(as_of, timezone), timezone).start.isoformat()}"


def local_as_of(as_of: dt.datetime, timezone: str) -> dt.datetime:
    """A time without an offset (typed into the Prefect UI, say) is the programme's local time."""
    return as_of.replace(tzinfo=ZoneInfo(timezone)) if as_of.tzinfo is None else as_of


@flow(name="weekly-digest", flow_run_name=digest_run_name, log_prints=False)
def weekly_digest(
    as_of: dt.datetime | None = None,
    config_path: str | None = None,
    send: bool = True,
) -> dict[str, object]:
    """Report the week containing `as_of` (default now). Safe to re-run: each recipient gets the week's email once.
    When sending, Microsoft 365 must accept the app first: otherwise the run stops (Failed, one message naming the
    fix) before the week's snapshot is stored or an email queued."""
    logger = get_run_logger()
    with services_for_run(config_path) as run_services:
        timezone = run_services.programme.programme.timezone
        services = run_services.at(local_as_of(as_of, timezone) if as_of else None)
        if send:
            try:
                check_microsoft_365(as_is(services))
            except (SystemicError, InputError) as error:
                return stopped(error, "nothing was stored or queued")
        digests = compute_digest_figures(as_is(services), services.now())
        tag_this_run("digest", f"week:{digests.week.start.isoformat()}")
        if send:
            store_digest_snapshot(as_is(services), as_is(digests))
        key = publish_digest_artifact(as_is(digests), send)
        summary: dict[str, object] = {
            "week": digests.week.start.isoformat(),
            "artifact": key,
            "recipients": len(digests.by_recipient),
        }
        if not send:
            logger.info("not sending: the digest is in artifact %s", key)
            return {**summary, "queued": 0, "outcome": "not sent"}
        queued = queue_digest_emails(as_is(services), as_is(digests))
        if len(queued) < len(digests.by_recipient):
            logger.info(
                "%d of %d digests were already queued this week",
                len(digests.by_recipient) - len(queued),
                len(digests.by_recipient),
            )
        try:
            report: DeliveryReport = deliver_outbox(as_is(services))
        except SystemicError as error:
            return stopped(error)
        return {**summary, "queued": len(queued), "outcome": report.summary()}
