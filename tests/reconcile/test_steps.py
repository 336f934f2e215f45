"""The reconcile's steps are written once (rollout.reconcile.run.STEPS): the flow runs them as tasks in that order,
run_reconcile and the dry run follow the same list, and a step added there is run by all of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from prefect.context import TaskRunContext

from flows.reconcile import reconcile
from rollout.reconcile import run as reconcile_run
from rollout.reconcile.run import STEPS, ReconcileReport, Step, preview, run_reconcile
from rollout.services import Services, build_services
from rollout.settings import Settings
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample, plan_in_database_only

AS_OF = local(d("2022-10-19"))  # the day after workshop 1: follow-up actions are due


def recorded(step: Step, seen: list[str]) -> Step:
    """`step`, noting the name of the task run it runs in (or "no task" outside Prefect) before doing its work."""

    def run(services: Services, as_of: dt.datetime) -> Any:
        context = TaskRunContext.get()
        seen.append(context.task_run.name if context and context.task_run else "no task")
        return step.run(services, as_of)

    return dataclasses.replace(step, run=run)


@pytest.fixture
def planned(data_dir, sessions, programme, recording_gateway) -> None:  # type: ignore[no-untyped-def]
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))


@pytest.fixture
def services(sessions, programme, recording_gateway) -> Services:  # type: ignore[no-untyped-def]
    return build_services(Settings.from_env(), programme=programme, sessions=sessions, gateway=recording_gateway)


def test_the_steps_are_rsvps_attendance_changes_messages_delivery_then_retention() -> None:
    assert [s.name for s in STEPS] == [
        "sync-rsvps",
        "collect-attendance",
        "record-changes",
        "queue-messages",
        "deliver-outbox",
        "apply-retention",
    ]


@pytest.mark.usefixtures("prefect_server", "planned")
def test_the_flow_runs_each_step_as_a_named_task_in_the_defined_order(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(reconcile_run, "STEPS", tuple(recorded(step, seen) for step in STEPS))

    summary = reconcile(as_of=AS_OF)

    assert seen == [f"{step.name} · 2022-10-19" for step in STEPS]
    assert summary["actions_created"] == 3  # the steps did their work, not only ran


@pytest.mark.usefixtures("prefect_server", "planned")
def test_a_step_added_to_the_list_is_run_by_the_flow_run_reconcile_and_the_dry_run(
    monkeypatch: pytest.MonkeyPatch,
    sessions,
    programme,
    services: Services,  # type: ignore[no-untyped-def]
) -> None:
    seen: list[str] = []
    rehearsed: list[dt.datetime] = []

    def rehearse(session: Any, _programme: Any, as_of: dt.datetime, _report: ReconcileReport) -> list[Any]:
        rehearsed.append(as_of)
        return []

    audit = Step("audit", lambda services, as_of: "audited", rehearse=rehearse)
    steps = (*STEPS[:2], audit, *STEPS[2:])
    monkeypatch.setattr(reconcile_run, "STEPS", tuple(recorded(step, seen) for step in steps))

    reconcile(as_of=AS_OF)
    assert seen == [f"{step.name} · 2022-10-19" for step in steps]

    seen.clear()
    run_reconcile(services, AS_OF)
    assert seen == ["no task"] * len(steps)

    preview(sessions, programme, AS_OF)
    assert rehearsed == [AS_OF]


@pytest.mark.usefixtures("planned")
def test_run_reconcile_without_sending_leaves_out_only_the_steps_that_send(
    services: Services,
    recording_gateway,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(reconcile_run, "STEPS", tuple(recorded(step, seen) for step in STEPS))

    report = run_reconcile(services, AS_OF, send=False)

    assert len(seen) == len([s for s in STEPS if not s.sends])
    assert report.delivery is None and recording_gateway.mails == []
