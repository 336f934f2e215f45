"""`rollout deploy --pool NAME`: register the deployments for workers on a process work pool (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import Flow
from prefect.schedules import Cron

from deployments.definitions import deployment_specs
from rollout.config import Programme

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def deploy_all(programme: Programme, work_pool: str, source: Path = PROJECT_ROOT) -> list[str]:
    """Create or update each deployment; workers run the code found at `source` on their own machine."""
    timezone = programme.programme.timezone
    ids = []
    for spec in deployment_specs(programme):
        # from_source is sync here (called outside an event loop); the cast narrows Prefect's sync/async union.
        flow = cast(Flow[Any, Any], Flow.from_source(source=str(source), entrypoint=spec.entrypoint))
        deployment_id = flow.deploy(
            name=spec.name,
            work_pool_name=work_pool,
            description=spec.description,
            schedules=[Cron(spec.cron, timezone=timezone)] if spec.cron else None,
            parameters=spec.parameters,
            tags=list(spec.tags),
            concurrency_limit=spec.concurrency_limit,
            build=False,
            push=False,
            print_next_steps=False,
        )
        ids.append(str(deployment_id))
    return ids
