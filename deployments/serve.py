"""`rollout serve`: run the deployments from this process against a Prefect server (local development)."""

from __future__ import annotations

import importlib
from typing import Any, cast

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from deployments.definitions import DeploymentSpec, deployment_specs
from rollout.config import Programme


def load_flow(spec: DeploymentSpec) -> Flow[Any, Any]:
    module_name, function = spec.entrypoint.split(":")
    module = importlib.import_module(module_name)
    flow: Flow[Any, Any] = getattr(module, function)
    return flow


def runner_deployment(spec: DeploymentSpec, timezone: str, **extra: Any) -> RunnerDeployment:
    """`spec` as Prefect's deployment of its flow, its cron in the programme's time zone; `extra` goes to
    Flow.to_deployment as it is (what `rollout deploy` adds for workers)."""
    return cast(
        RunnerDeployment,
        load_flow(spec).to_deployment(
            name=spec.name,
            description=spec.description,
            schedules=[Cron(spec.cron, timezone=timezone)] if spec.cron else None,
            parameters=spec.parameters,
            tags=list(spec.tags),
            concurrency_limit=spec.concurrency_limit,
            **extra,
        ),
    )


def serve_all(programme: Programme) -> None:
    timezone = programme.programme.timezone
    runner_deployments = [runner_deployment(spec, timezone) for spec in deployment_specs(programme)]
    # Keep schedules active when this process stops: pausing would silently stop reminders.
    serve(*runner_deployments, pause_on_shutdown=False)
