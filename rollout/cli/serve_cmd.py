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
    """Create or update the deployments on a work pool, for workers on one or several machines."""
    loaded = programme(config)
    from deployments.deploy import deploy_all

    ids = deploy_all(loaded, pool)
    console.print(f"{len(ids)} deployments on work pool {pool!r}; start a worker: prefect worker start --pool {pool}")
