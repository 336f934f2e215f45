"""`rollout serve` and `rollout deploy`: the flows as Prefect deployments on their configured schedules."""

from __future__ import annotations

from typing import Annotated

import typer

from rollout.cli.common import ConfigOption, console, programme


def serve(config: ConfigOption = None) -> None:
    """Serve launch-wave, reconcile (daily) and weekly-digest (weekly) from this process against PREFECT_API_URL."""
    loaded = programme(config)
    from deployments.definitions import deployment_specs
    from deployments.serve import serve_all

    for spec in deployment_specs(loaded):
        when = f"cron '{spec.cron}' ({loaded.programme.timezone})" if spec.cron else "on demand"
        console.print(f"{spec.full_name}: {when}")
    serve_all(loaded)


def deploy(
    pool: Annotated[
        str, typer.Option("--pool", help="A process work pool; start workers with `prefect worker start`.")
    ],
    config: ConfigOption = None,
) -> None:
    """Create or update, idempotently, the deployments on a work pool (workers install the rollout package), the
    shared Microsoft 365 limits and the ops notifications (ROLLOUT_NOTIFY_BLOCK)."""
    loaded = programme(config)
    from deployments.deploy import deploy_all

    report = deploy_all(loaded, pool)
    if report.work_pool_created:
        console.print(f"work pool {pool!r}: created (process)")
    for name in report.deployments:
        console.print(f"deployment {name}: registered on work pool {pool!r}")
    for limit in report.limits:
        console.print(f"limit {limit.name}: {limit.outcome}")
    for automation in report.automations:
        console.print(f"automation {automation.name!r}: {automation.outcome}")
    if report.notify_block is None:
        console.print("no notifications: set ROLLOUT_NOTIFY_BLOCK to a notification block (docs/operations.md)")
    console.print(f"start workers on each machine: prefect worker start --pool {pool}")
