"""A launch killed with SIGKILL while it delivers, then run again, sends every invitation exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_PARTNERS

ORGANISER = "digital.health.hubs@example.org"


def launch_process(prefect_api: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}
    return subprocess.Popen(
        [sys.executable, "-m", "rollout.cli.main", "launch", "wave-1", "--no-approval", "--as-of", "2022-09-01"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def invitations(emulator) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return Counter(
        (email, item.subject)
        for email, items in emulator.mailboxes().items()
        for item in items
        if item.kind == "invitation"
    )


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_events", [1, 3, 5])
def test_killing_the_deliverer_mid_launch_then_rerunning_invites_everyone_exactly_once(
    data_dir: Path,
    emulator,
    run_cli,
    prefect_server: str,
    kill_after_events: int,  # type: ignore[no-untyped-def]
) -> None:
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    emulator.faults.latency_ms = 250  # slow enough that the kill lands mid-delivery

    process = launch_process(prefect_server)
    deadline = time.monotonic() + 120
    while len(emulator.events(ORGANISER)) < kill_after_events:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "launch exited early"
        assert time.monotonic() < deadline, "the launch never created an event"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert len(emulator.events(ORGANISER)) < 6, "the kill came too late to interrupt delivery"

    emulator.faults.latency_ms = 0
    rerun = launch_process(prefect_server)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr.decode()

    assert len(emulator.events(ORGANISER)) == 6
    sent = invitations(emulator)
    assert set(sent.values()) == {1}, [key for key, n in sent.items() if n > 1]
    attendees = sum(len(event["attendees"]) for event in emulator.events(ORGANISER))
    assert sum(sent.values()) == attendees
