"""Deployments carry the schedules of config/waves.toml, in the programme's time zone."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from prefect import get_client

from deployments.definitions import deployment_specs
from deployments.serve import runner_deployment
from rollout.config import Programme

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_schedules_come_from_the_runs_section_of_the_config(programme: Programme) -> None:
    specs = {spec.full_name: spec for spec in deployment_specs(programme)}
    assert set(specs) == {"launch-wave/launch-wave", "reconcile/daily", "weekly-digest/weekly"}
    assert specs["launch-wave/launch-wave"].cron is None
    assert specs["reconcile/daily"].cron == "0 7 * * *"
    assert specs["weekly-digest/weekly"].cron == "0 8 * * 1"


def test_changing_the_config_moves_the_schedule(programme: Programme) -> None:
    later = programme.model_copy(update={"runs": programme.runs.model_copy(update={"reconcile_time": dt.time(6, 30)})})
    assert {s.name: s.cron for s in deployment_specs(later)}["daily"] == "30 6 * * *"


def test_applied_deployments_run_on_london_time_with_their_tags(programme: Programme) -> None:

    for spec in deployment_specs(programme):
        runner_deployment(spec, "Europe/London").apply()

    async def read() -> dict[str, object]:
        async with get_client() as client:
            found = {}
            for spec in deployment_specs(programme):
                deployment = await client.read_deployment_by_name(spec.full_name)
                found[spec.full_name] = deployment
            return found

    found = asyncio.run(read())
    daily = found["reconcile/daily"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in daily.schedules] == [("0 7 * * *", "Europe/London")]  # type: ignore[attr-defined]
    assert "reconcile" in daily.tags  # type: ignore[attr-defined]
    assert found["launch-wave/launch-wave"].schedules == []  # type: ignore[attr-defined]
