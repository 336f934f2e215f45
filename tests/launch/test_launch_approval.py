"""Approval: a launch pauses with a form that needs an explicit decision and a name. Approved sends; rejected or
unanswered sends nothing, is recorded (who, when, why), shown by `rollout status`, and ends the run Cancelled under
a name ops can tell from a launch that sent."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun
from prefect.flow_runs import aresume_flow_run
from sqlalchemy import func, select

from flows.launch_wave import launch_wave
from rollout.cli.launch_cmd import _resume
from rollout.db import models
from tests.conftest import SAMPLE_PARTNERS

pytestmark = pytest.mark.usefixtures("prefect_server")
AS_OF = dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC)


def launch_in_background(**params: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["state"] = launch_wave(
            wave="wave-1", as_of=AS_OF, require_approval=True, approval_poll_s=1, return_state=True, **params
        )

    # In the test's context: the flow run uses the services the recording_gateway fixture provides.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True)
    thread.start()
    return thread, outcome


async def _launch_runs() -> list[FlowRun]:
    async with get_client() as client:
        return await client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["wave:wave-1"])))


def wait_until_paused(timeout: float = 60) -> UUID:
    deadline = time.monotonic() + timeout
    while True:
        paused = [run for run in asyncio.run(_launch_runs()) if run.state and run.state.is_paused()]
        if paused:
            return paused[0].id
        assert time.monotonic() < deadline, "the launch never paused for approval"
        time.sleep(0.5)


def outbox_count(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count(models.OutboundMessage.id))) or 0


def decisions(sessions) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        rows = session.scalars(select(models.LaunchDecision).order_by(models.LaunchDecision.id)).all()
    return [(row.decision, row.decided_by, row.note) for row in rows]


def status_text(run_cli) -> str:  # type: ignore[no-untyped-def]
    result = run_cli("status")
    assert result.exit_code == 0, result.stderr
    return " ".join(result.stdout.split())


async def _artifact(key: str) -> str | None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC
        )
    return str(found[0].data) if found else None  # the latest version: the artifact is rewritten at every step


def test_an_approved_launch_queues_nothing_until_approved_then_sends_and_records_who_approved(
    data_dir: Path,
    recording_gateway,
    run_cli,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background()
    wait_until_paused()
    assert outbox_count(sessions) == 0, "nothing may be queued before approval"
    assert recording_gateway.mailboxes() == {}, "nothing may be sent before approval"

    asyncio.run(_resume("wave-1", "Programme Manager", True, "go"))
    thread.join(timeout=120)

    state = outcome["state"]
    assert state.is_completed() and state.result()["queued"] == 6
    assert len(recording_gateway.live_events()) == 6
    with sessions() as session:
        wave = session.get_one(models.Wave, "wave-1")
        invited_at = set(session.scalars(select(models.Invitation.invited_at)))
        queued_at = set(session.scalars(select(models.OutboundMessage.created_at)))
    assert wave.approved_by == "Programme Manager"
    assert wave.approved_at == AS_OF  # the run's clock (as_of), not the wall clock
    assert invited_at == queued_at == {AS_OF}
    assert decisions(sessions) == [("approved", "Programme Manager", "go")]


def test_the_form_refuses_an_answer_without_a_decision_or_a_name(data_dir: Path, emulator, run_cli, sessions) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background()
    run_id = wait_until_paused()

    # What pressing Submit on the untouched form sends, and a name of spaces: the server validates against the form.
    for untouched in ({"note": ""}, {"decided_by": "Sam", "note": ""}, {"decision": "approve", "decided_by": "   "}):
        with pytest.raises(RuntimeError, match="Validation failed"):
            asyncio.run(aresume_flow_run(run_id, run_input=untouched))
    refused = run_cli("approve", "wave-1", "--by", "  ")
    assert refused.exit_code == 2 and "--by" in refused.stderr

    time.sleep(2)  # two polls of the paused run: still waiting, nothing recorded or queued
    assert [run.state.is_paused() for run in asyncio.run(_launch_runs()) if run.id == run_id and run.state] == [True]
    assert decisions(sessions) == [] and outbox_count(sessions) == 0

    asyncio.run(_resume("wave-1", "Sam", False, "testing the form"))
    thread.join(timeout=120)
    assert outcome["state"].name == "Rejected"


def test_a_rejected_launch_sends_nothing_records_who_and_why_and_ends_cancelled_as_rejected(
    data_dir: Path,
    emulator,
    run_cli,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background()
    wait_until_paused()

    answered = run_cli("approve", "wave-1", "--by", "Programme Manager", "--reject", "--note", "dates not agreed")
    thread.join(timeout=120)

    assert answered.exit_code == 0, answered.stderr
    state = outcome["state"]
    assert state.is_cancelled() and state.name == "Rejected"
    assert state.message == "Rejected by Programme Manager: dates not agreed; nothing sent"
    assert emulator.mailboxes() == {}
    assert emulator.events("digital.health.hubs@example.org") == []
    assert outbox_count(sessions) == 0
    assert decisions(sessions) == [("rejected", "Programme Manager", "dates not agreed")]
    with sessions() as session:
        assert session.get_one(models.Wave, "wave-1").approved_at is None
    assert "wave-1: rejected " in status_text(run_cli)
    assert "by Programme Manager: dates not agreed" in status_text(run_cli)
    artifact = asyncio.run(_artifact("launch-wave-1"))  # the wave's one launch artifact, rewritten with the outcome
    assert artifact is not None and "Programme Manager" in artifact and "dates not agreed" in artifact


def test_an_unanswered_launch_times_out_sends_nothing_and_is_recorded(
    data_dir: Path,
    emulator,
    run_cli,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background(approval_timeout_s=3)
    thread.join(timeout=120)

    state = outcome["state"]
    assert state.is_cancelled() and state.name == "Approval timed out"
    assert state.message.startswith("Timed out waiting for approval")
    assert emulator.mailboxes() == {}
    assert outbox_count(sessions) == 0
    assert decisions(sessions) == [("timed_out", None, None)]
    assert "wave-1: timed out " in status_text(run_cli) and "nobody answered" in status_text(run_cli)
