"""`launch-wave`: plan a wave, show the plan, ask for approval, send the workshop invitations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, pause_flow_run
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.runtime import flow_run

from flows.arguments import as_is
from flows.run_tags import tag_this_run
from rollout.outbound.delivery import DeliveryReport
from rollout.programme.launch_report import LaunchOutcome, planned_changes
from rollout.services import services_for_run
from tasks.artifacts import publish_launch_outcome, publish_wave_plan
from tasks.delivery import deliver_outbox
from tasks.launch import persist_wave_plan, queue_invitations, read_launch_statuses, record_approval


class WaveApproval(RunInput):
    approve: bool = False
    approved_by: str = ""
    note: str = ""


def launch_run_name() -> str:
    """'wave-2 · launch', or 'wave-2 · launch (dry run)': a rehearsal never looks like the real thing in the UI."""
    parameters = flow_run.parameters
    return f"{parameters.get('wave')} · launch" + (" (dry run)" if parameters.get("dry_run") else "")


@flow(name="launch-wave", flow_run_name=launch_run_name, log_prints=False)
def launch_wave(
    wave: str,
    dry_run: bool = False,
    require_approval: bool | None = None,
    as_of: dt.datetime | None = None,
    approval_timeout_s: int = 86_400,
    approval_poll_s: int = 10,
    config_path: str | None = None,
) -> dict[str, object]:
    """Launch `wave`. Safe to re-run: existing events are updated, never duplicated."""
    logger = get_run_logger()
    with services_for_run(config_path) as run_services:
        programme = run_services.programme
        if as_of is not None and as_of.tzinfo is None:  # `-p as_of=2022-09-01` on a deployment run: programme's time
            as_of = as_of.replace(tzinfo=ZoneInfo(programme.programme.timezone))
        services = run_services.at(as_of)
        tags = [f"wave:{wave}", *(f"lcp:{lcp}" for lcp in programme.wave(wave).lcps)]
        tag_this_run(*tags, *(["dry-run"] if dry_run else []))
        launch = persist_wave_plan(as_is(services), wave, services.now())
        publish_wave_plan(as_is(launch), as_is(programme))

        def publish(state: str, by: str | None = None, at: dt.datetime | None = None, note: str = "") -> None:
            """The launch artifact, rewritten at every turn: planned, waiting, then what happened."""
            statuses = read_launch_statuses(as_is(services), as_is(launch)) if state == "sent" else None
            outcome = LaunchOutcome(state, planned_changes(launch, statuses), by, at, note)
            publish_launch_outcome(as_is(launch), as_is(outcome), as_is(programme))

        summary: dict[str, object] = {
            "wave": wave,
            "changes": len(launch.intents),
            "invitations": launch.invitations,
            "workshops": len(launch.upcoming),
        }
        if dry_run:
            logger.info(
                "dry run: %d calendar changes, %d invitations would be sent", len(launch.intents), launch.invitations
            )
            publish("dry-run")
            return {**summary, "outcome": "dry run: nothing sent"}
        if not launch.intents:
            logger.info("every workshop event already matches the plan")
            publish("no-changes")
        needs_approval = programme.programme.require_approval if require_approval is None else require_approval
        if needs_approval and launch.intents:
            question = f"Approve sending {launch.invitations} invitations for {programme.wave(wave).name}?"
            publish("waiting")
            try:
                answer = pause_flow_run(
                    wait_for_input=WaveApproval.with_initial_data(description=question, approve=False),
                    timeout=approval_timeout_s,
                    poll_interval=approval_poll_s,
                )
            except FlowPauseTimeout:
                logger.warning("not approved within %d s: nothing sent", approval_timeout_s)
                publish("timed-out")
                return {**summary, "outcome": "approval timed out: nothing sent"}
            if not answer.approve:
                logger.warning("rejected by %s: nothing sent (%s)", answer.approved_by or "the approver", answer.note)
                publish("rejected", answer.approved_by or "the approver", services.now(), answer.note)
                return {**summary, "outcome": "rejected: nothing sent"}
            approved_by, approved_at, note = answer.approved_by or "unnamed approver", services.now(), answer.note
            record_approval(as_is(services), wave, approved_by)
        else:
            approved_by, approved_at, note = None, None, ""
        queued = queue_invitations(as_is(services), as_is(launch))
        report: DeliveryReport = deliver_outbox(as_is(services))
        if launch.intents:
            publish("sent", approved_by, approved_at, note)
        return {**summary, "queued": len(queued), "outcome": report.summary()}
