"""Prefect artifacts: what ops and the programme manager read in the UI.

Each wave has two keyed artifacts, so a re-run adds a version under the same key and the UI shows the newest:
`wave-2-plan` (the plan as one Markdown table) and `launch-wave-2` (what the launch did: written when the plan is
ready, rewritten with the outcome at the end; never left saying "waiting" once the run has finished).
"""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact

from rollout.config import Programme
from rollout.db.types import utcnow
from rollout.programme.launch import LaunchPlan
from rollout.programme.launch_report import LaunchOutcome, outcome_markdown, plan_markdown


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    text = "-".join(parts).lower()
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")


def launch_artifact_key(wave_id: str) -> str:
    return artifact_key("launch", wave_id)


@task(name="publish-wave-plan")
def publish_wave_plan(launch: LaunchPlan, programme: Programme) -> str:
    key = artifact_key(launch.wave.id, "plan")
    create_markdown_artifact(
        key=key,
        markdown=plan_markdown(launch, programme),
        description=f"{launch.wave.name}: workshops at local time, who is invited, follow-up actions",
    )
    return key


@task(name="publish-launch-outcome")
def publish_launch_outcome(
    launch: LaunchPlan, outcome: LaunchOutcome, programme: Programme, at: dt.datetime | None = None
) -> str:
    key = launch_artifact_key(launch.wave.id)
    create_markdown_artifact(
        key=key,
        markdown=outcome_markdown(launch, outcome, at or utcnow(), programme.programme.timezone),
        description=f"{launch.wave.name} launch: {outcome.state}",
    )
    return key
