"""`launch-wave`: plan a wave, show the plan, ask for approval, send the workshop invitations.

Nothing is queued before Microsoft 365 has answered the pre-flight check (settings, a token, the organiser mailbox)
and, when approval is required, before a person has approved by name. A rejection or an unanswered request is
recorded (who, when, why) and ends the run Cancelled under a name ops can tell from a launch that sent: "Rejected"
or "Approval timed out".
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, pause_flow_run
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from pydantic import Field, field_validator

from flows.arguments import as_is
from flows.run_tags import tag_this_run
from flows.stops import end_expired_pause, refused, stopped
from rollout.db.types import utcnow
from rollout.errors import InputError, SystemicError
from rollout.outbound.delivery import DeliveryReport
from rollout.programme.launch import LaunchPlan
from tasks.artifacts import publish_launch_decision, publish_wave_plan
from tasks.delivery import deliver_outbox
from tasks.launch import persist_wave_plan, queue_invitations, record_launch_decision
from tasks.preflight import check_microsoft_365
from tasks.programme import load_programme_file

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


@flow(name="launch-wave", flow_run_name="{wave} · launch", log_prints=False)
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
    programme = load_programme_file(config_path)
    if as_of is not None and as_of.tzinfo is None:  # `-p as_of=2022-09-01` on a deployment run: the programme's time
        as_of = as_of.replace(tzinfo=ZoneInfo(programme.programme.timezone))
    now = as_of or utcnow()
    tag_this_run(f"wave:{wave}", *(f"lcp:{lcp}" for lcp in programme.wave(wave).lcps))
    try:
        if not dry_run:
            check_microsoft_365(as_is(programme))  # before anything is written
        launch = persist_wave_plan(as_is(programme), wave, now)
        publish_wave_plan(as_is(launch), as_is(programme), dry_run)
    except (SystemicError, InputError) as error:
        return stopped(error, "nothing was queued")
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
        return {**summary, "outcome": "dry run: nothing sent"}
    if not launch.intents:
        logger.info("every workshop event already matches the plan")
    needs_approval = programme.programme.require_approval if require_approval is None else require_approval
    try:
        if needs_approval and launch.intents:
            question = f"Approve sending {launch.invitations} invitations for {programme.wave(wave).name}?"
            refusal = ask_for_approval(launch, question, approval_timeout_s, approval_poll_s, as_of)
            if refusal is not None:
                return refused(*refusal)
            check_microsoft_365(as_is(programme))  # again: the answer may have taken days
        queued = queue_invitations(as_is(launch), as_of)
        report: DeliveryReport = deliver_outbox(as_is(programme), as_of)
    except (SystemicError, InputError) as error:
        return stopped(error)
    return {**summary, "queued": len(queued), "outcome": report.summary()}


def ask_for_approval(
    launch: LaunchPlan, question: str, timeout_s: int, poll_s: int, as_of: dt.datetime | None
) -> tuple[str, str] | None:
    """Pause for a decision and record it (at the run's as_of, else when it came). None: approved (go on); otherwise
    (state name, message) of the refusal."""
    logger = get_run_logger()
    wave = launch.wave.id
    try:
        answer = pause_flow_run(
            wait_for_input=WaveApproval.with_initial_data(description=question),
            timeout=timeout_s,
            poll_interval=poll_s,
        )
    except FlowPauseTimeout:
        end_expired_pause()
        words = record_launch_decision(wave, "timed_out", None, "", as_of)
        message = f"Timed out waiting for approval after {timeout_s} s: nothing sent"
        publish_launch_decision(as_is(launch), "approval timed out", words)
        return TIMED_OUT, message
    if answer.decision == "reject":
        words = record_launch_decision(wave, "rejected", answer.decided_by, answer.note, as_of)
        message = f"Rejected by {answer.decided_by}" + (f": {answer.note}" if answer.note else "") + "; nothing sent"
        publish_launch_decision(as_is(launch), "rejected", words)
        return REJECTED, message
    record_launch_decision(wave, "approved", answer.decided_by, answer.note, as_of)
    logger.info("approved by %s", answer.decided_by)
    return None
