"""`launch-wave`: plan a wave, show the plan, ask for approval, send the workshop invitations.

Nothing is queued before Microsoft 365 has answered the pre-flight check (settings, a token, the organiser mailbox)
and, when approval is required, before a person has approved by name. A rejection or an unanswered request is
recorded (who, when, why) and ends the run Cancelled under a name ops can tell from a launch that sent: "Rejected"
or "Approval timed out".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, pause_flow_run
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import Field, field_validator

from flows.arguments import as_is
from flows.run_tags import tag_this_run
from flows.stops import end_expired_pause, refused, stopped
from rollout.errors import InputError, SystemicError
from rollout.outbound.delivery import DeliveryReport
from rollout.programme.launch import LaunchPlan
from rollout.programme.launch_report import LaunchOutcome, planned_changes
from rollout.services import Services, services_for_run
from tasks.artifacts import publish_launch_outcome, publish_wave_plan
from tasks.delivery import deliver_outbox
from tasks.launch import persist_wave_plan, queue_invitations, read_launch_statuses, record_launch_decision
from tasks.preflight import check_microsoft_365

REJECTED = "Rejected"
TIMED_OUT = "Approval timed out"


class WaveApproval(RunInput):
    """The form in the Prefect UI. No field has a default but the note, so the form marks decision and name as
    required and pressing Submit untouched is refused: a wave is never approved, or rejected, by accident."""

    decision: Literal["approve", "reject"] = Field(
        title="Decision", description="approve: send the invitations now; reject: send nothing"
    )
    decided_by: str = Field(
        title="Your name", description="Recorded with the decision.", min_length=1, max_length=200, pattern=r"\S"
    )
    note: str = Field(
        default="", title="Note", description="Why (recorded; expected with a rejection).", max_length=1000
    )

    @field_validator("decided_by", "note")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


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
        try:
            if not dry_run:
                check_microsoft_365(as_is(services))  # before anything is written
            launch = persist_wave_plan(as_is(services), wave, services.now())
            publish_wave_plan(as_is(launch), as_is(programme))
        except (SystemicError, InputError) as error:
            return stopped(error, "nothing was queued")
        report = Report(services, launch)
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
            report.publish("dry-run")
            return {**summary, "outcome": "dry run: nothing sent"}
        if not launch.intents:
            logger.info("every workshop event already matches the plan")
            report.publish("no-changes")
        needs_approval = programme.programme.require_approval if require_approval is None else require_approval
        try:
            approval: Approval | None = None
            if needs_approval and launch.intents:
                question = f"Approve sending {launch.invitations} invitations for {programme.wave(wave).name}?"
                report.publish("waiting")
                answer = ask_for_approval(services, report, question, approval_timeout_s, approval_poll_s)
                if isinstance(answer, Refusal):
                    return refused(answer.state, answer.message)
                approval = answer
                check_microsoft_365(as_is(services))  # again: the answer may have taken days
            queued = queue_invitations(as_is(services), as_is(launch))
            delivered: DeliveryReport = deliver_outbox(as_is(services))
        except (SystemicError, InputError) as error:
            return stopped(error)
        if launch.intents:
            report.publish("sent", *(approval.as_outcome() if approval else ()))
        return {**summary, "queued": len(queued), "outcome": delivered.summary()}


@dataclass(frozen=True)
class Approval:
    by: str
    at: dt.datetime
    note: str

    def as_outcome(self) -> tuple[str, dt.datetime, str]:
        return self.by, self.at, self.note


@dataclass(frozen=True)
class Refusal:
    state: str  # the run's final state's name
    message: str


@dataclass(frozen=True)
class Report:
    """The launch artifact, rewritten at every turn: planned, waiting, then what happened."""

    services: Services
    launch: LaunchPlan

    def publish(self, state: str, by: str | None = None, at: dt.datetime | None = None, note: str = "") -> None:
        statuses = read_launch_statuses(as_is(self.services), as_is(self.launch)) if state == "sent" else None
        outcome = LaunchOutcome(state, planned_changes(self.launch, statuses), by, at, note)
        publish_launch_outcome(as_is(self.launch), as_is(outcome), as_is(self.services.programme))


def ask_for_approval(
    services: Services, report: Report, question: str, timeout_s: int, poll_s: int
) -> Approval | Refusal:
    """Pause for a decision and record it (at the run's as_of, else when it came)."""
    logger = get_run_logger()
    wave = report.launch.wave.id
    try:
        answer = pause_flow_run(
            wait_for_input=WaveApproval.with_initial_data(description=question),
            timeout=timeout_s,
            poll_interval=poll_s,
        )
    except FlowPauseTimeout:
        end_expired_pause()
        record_launch_decision(as_is(services), wave, "timed_out", None, "")
        report.publish("timed-out")
        return Refusal(TIMED_OUT, f"Timed out waiting for approval after {timeout_s} s: nothing sent")
    if answer.decision == "reject":
        record_launch_decision(as_is(services), wave, "rejected", answer.decided_by, answer.note)
        report.publish("rejected", answer.decided_by, services.now(), answer.note)
        message = f"Rejected by {answer.decided_by}" + (f": {answer.note}" if answer.note else "") + "; nothing sent"
        return Refusal(REJECTED, message)
    record_launch_decision(as_is(services), wave, "approved", answer.decided_by, answer.note)
    logger.info("approved by %s", answer.decided_by)
    return Approval(answer.decided_by, services.now(), answer.note)
