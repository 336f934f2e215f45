"""Prefect artifacts: what ops and the programme manager read in the UI."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from rollout.config import Programme
from rollout.programme.launch import LaunchPlan


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    text = "-".join(parts).lower()
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")


@task(name="publish-wave-plan")
def publish_wave_plan(launch: LaunchPlan, programme: Programme, dry_run: bool) -> None:
    wave = launch.wave
    rows = []
    for w in launch.workshops:
        slot = w.slot
        rows.append(
            {
                "workshop": f"{slot.number}. {slot.title}",
                "local date/time": f"{slot.start:%a %d %b %Y %H:%M}–{slot.end:%H:%M}"
                + (" (cancelled)" if slot.cancelled else ""),
                "where": slot.venue or "Teams",
                "audience": w.audience,
                **{lcp: w.invitees_per_lcp.get(lcp, 0) for lcp in wave.lcps},
                "invitees": len(w.invitees),
            }
        )
    create_table_artifact(
        key=artifact_key(wave.id, "plan"),
        table=rows,
        description=f"{wave.name} plan: workshops at local time ({programme.programme.timezone}), invitees per LCP",
    )
    changes = (
        "\n".join(
            f"- {i.kind.replace('event.', '')} workshop event `{i.key}` for {len(i.recipients)} attendees"
            for i in launch.intents
        )
        or "- nothing: every event already matches the plan"
    )
    mode = "**Dry run**: nothing will be sent." if dry_run else "These changes are queued for delivery."
    create_markdown_artifact(
        key=artifact_key(wave.id, "launch"),
        markdown=(
            f"# {wave.name} launch\n\n{wave.start} to {wave.end}; LCPs: {', '.join(wave.lcps)}\n\n"
            f"{mode}\n\n## Calendar changes\n{changes}\n\n"
            f"Invitations or updates to send: **{launch.invitations}**\n"
        ),
        description=f"{wave.name}: what launching sends",
    )


@task(name="publish-launch-decision")
def publish_launch_decision(launch: LaunchPlan, headline: str, decision: str) -> None:
    """What ops read on a launch that sent nothing: who decided (or that nobody did), when and why."""
    wave = launch.wave
    create_markdown_artifact(
        key=artifact_key(wave.id, "approval"),
        markdown=(
            f"# {wave.name} launch: {headline}\n\n{decision}.\n\n"
            f"**Nothing was sent**: {launch.invitations} invitations were not queued. "
            "Launch the wave again to ask for approval again.\n"
        ),
        description=f"{wave.name}: {headline}",
    )
