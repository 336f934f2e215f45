"""The three deployments, with schedules read from config/waves.toml ([runs]) so no time lives in code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollout.config import Programme

CRON_WEEKDAY = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 0}


@dataclass(frozen=True)
class DeploymentSpec:
    flow_name: str
    name: str
    entrypoint: str  # module:function, importable from the installed package
    description: str
    cron: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    concurrency_limit: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"


def deployment_specs(programme: Programme) -> list[DeploymentSpec]:
    runs = programme.runs
    return [
        DeploymentSpec(
            flow_name="launch-wave",
            name="launch-wave",
            entrypoint="flows.launch_wave:launch_wave",
            description="Launch a wave: plan, publish, ask for approval, send invitations. Run with -p wave=wave-2.",
            tags=("rollout", "launch"),
        ),
        DeploymentSpec(
            flow_name="reconcile",
            name="daily",
            entrypoint="flows.reconcile:reconcile",
            description="Daily: RSVPs, reminders, follow-up actions, stalled-hub escalations.",
            cron=f"{runs.reconcile_time.minute} {runs.reconcile_time.hour} * * *",
            tags=("rollout", "reconcile"),
            concurrency_limit=1,
        ),
        DeploymentSpec(
            flow_name="weekly-digest",
            name="weekly",
            entrypoint="flows.weekly_digest:weekly_digest",
            description="Weekly progress digest to the programme manager and LCP leads.",
            cron=f"{runs.digest_time.minute} {runs.digest_time.hour} * * {CRON_WEEKDAY[runs.digest_weekday]}",
            tags=("rollout", "digest"),
            concurrency_limit=1,
        ),
    ]
