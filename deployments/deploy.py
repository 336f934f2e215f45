"""`rollout deploy --pool NAME`: register everything production needs on the Prefect server, idempotently.

- the deployments, with entrypoints that resolve from the installed package (a worker needs `pip install` of the
  rollout wheel, not a checkout), and ROLLOUT_SHARED_LIMITS=prefect in their runs' environment;
- the global concurrency limits those runs take slots from (deployments/limits.py);
- the automations that notify ops (deployments/automations.py), when ROLLOUT_NOTIFY_BLOCK names a block.
Run it again after changing the configuration or the settings: what is already right is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast
from uuid import UUID

from prefect.deployments.runner import EntrypointType

from deployments.automations import AutomationChange, automation_specs, ensure_automations, notification_block_id
from deployments.definitions import deployment_specs
from deployments.limits import LimitChange, ensure_limits, gateway_limit_specs
from deployments.serve import runner_deployment
from rollout.config import Programme
from rollout.m365.shared_limits import SETTING as SHARED_LIMITS_SETTING

# What every deployed run gets in its environment, whatever the worker's own environment says.
RUN_ENVIRONMENT = {SHARED_LIMITS_SETTING: "prefect"}


@dataclass
class DeployReport:
    deployments: dict[str, UUID] = field(default_factory=dict)
    limits: list[LimitChange] = field(default_factory=list)
    automations: list[AutomationChange] = field(default_factory=list)
    notify_block: str | None = None
    work_pool_created: bool = False


def ensure_process_pool(name: str) -> bool:
    """Create the process work pool when it does not exist yet (with the process worker's default template)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))
            return True


def deploy_all(programme: Programme, work_pool: str, env: Mapping[str, str] | None = None) -> DeployReport:
    env = os.environ if env is None else env
    report = DeployReport()
    # Checked first, so a typo in the settings registers nothing.
    specs = gateway_limit_specs(env, programme.programme.organiser_mailbox)
    block_id = notification_block_id(env)
    report.limits = ensure_limits(specs)
    report.work_pool_created = ensure_process_pool(work_pool)
    report.deployments = register_deployments(programme, work_pool)
    if block_id is not None:
        report.notify_block = env.get("ROLLOUT_NOTIFY_BLOCK")
        report.automations = ensure_automations(automation_specs(programme, report.deployments), block_id)
    return report


def register_deployments(programme: Programme, work_pool: str) -> dict[str, UUID]:
    timezone = programme.programme.timezone
    ids: dict[str, UUID] = {}
    for spec in deployment_specs(programme):
        deployment = runner_deployment(
            spec,
            timezone,
            entrypoint_type=EntrypointType.MODULE_PATH,
            job_variables={"env": dict(RUN_ENVIRONMENT)},
        )
        ids[spec.full_name] = cast(UUID, deployment.apply(work_pool_name=work_pool))
    return ids
