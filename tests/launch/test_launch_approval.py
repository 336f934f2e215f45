"""Approval: a launch pauses with a typed form; approved sends, rejected or unanswered sends nothing. What is sent
goes to a recording gateway (tests/fakes): the end-to-end launch through Graph is test_launch_wave_end_to_end."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from sqlalchemy import select

from flows.launch_wave import launch_wave
from rollout.cli.launch_cmd import _resume
from rollout.db import models
from tests.conftest import SAMPLE_PARTNERS

pytestmark = pytest.mark.usefixtures("prefect_server")
AS_OF = dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC)


def launch_in_background(**params: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["result"] = launch_wave(wave="wave-1", as_of=AS_OF, require_approval=True, approval_poll_s=1, **params)

    # In the test's context: the flow run uses the services the recording_gateway fixture provides.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True)
    thread.start()
    return thread, outcome


def wait_until_paused(timeout: float = 60) -> None:
    async def paused() -> bool:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["wave:wave-1"]))
            )
        return any(run.state and run.state.is_paused() for run in runs)

    deadline = time.monotonic() + timeout
    while not asyncio.run(paused()):
        assert time.monotonic() < deadline, "the launch never paused for approval"
        time.sleep(0.5)


def test_an_approved_launch_sends_the_invitations_and_records_who_approved(
    data_dir: Path,
    recording_gateway,
    run_cli,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background()
    wait_until_paused()
    assert recording_gateway.mailboxes() == {}, "nothing may be sent before approval"

    asyncio.run(_resume("wave-1", "Programme Manager", True, "go"))
    thread.join(timeout=120)

    assert outcome["result"]["queued"] == 6
    assert len(recording_gateway.live_events()) == 6
    with sessions() as session:
        wave = session.get_one(models.Wave, "wave-1")
        invited_at = set(session.scalars(select(models.Invitation.invited_at)))
        queued_at = set(session.scalars(select(models.OutboundMessage.created_at)))
    assert wave.approved_by == "Programme Manager"
    assert wave.approved_at == AS_OF  # the run's clock (as_of), not the wall clock
    assert invited_at == queued_at == {AS_OF}


def test_a_rejected_launch_sends_nothing(data_dir: Path, recording_gateway, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background()
    wait_until_paused()

    asyncio.run(_resume("wave-1", "Programme Manager", False, "dates not agreed"))
    thread.join(timeout=120)

    assert outcome["result"]["outcome"] == "rejected: nothing sent"
    assert recording_gateway.mailboxes() == {}
    assert recording_gateway.events == {}


def test_an_unanswered_launch_times_out_and_sends_nothing(data_dir: Path, recording_gateway, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    thread, outcome = launch_in_background(approval_timeout_s=3)
    thread.join(timeout=120)

    assert outcome["result"]["outcome"] == "approval timed out: nothing sent"
    assert recording_gateway.mailboxes() == {}
