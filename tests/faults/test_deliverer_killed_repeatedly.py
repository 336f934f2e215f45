"""`rollout deliver` SIGKILLed at 50 random points of a 500-message drain, restarted each time: every message is
delivered exactly once.

Kill points come from a seeded generator. Each run picks a step of the mail protocol (the draft's creation, its
/send, any request at all, or, when the previous kill left a row claimed, the Message-ID lookup with which the
restart recovers it), a number n and a pause of up to 25 ms, and is killed that long after the emulator has
answered its n-th request of that step. With no pause the kill lands between
the server acting and the deliverer hearing about it (a /send done but not recorded); with a pause it lands in
the next request or in the database writes around the gateway call (claim `sending`, recording the outcome, lease).
"""

from __future__ import annotations

import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.faults.support import assert_each_delivered_exactly_once, deliver_process, outbox_status, queue_mail

MESSAGES = 500
KILLS = 50
SEED = 20261107
STEPS = ("lookup", "draft", "send", "any")


def step_of(record) -> str:  # type: ignore[no-untyped-def]
    """Which step of the delivery a request the emulator answered was."""
    if not record.path.startswith("/v1.0/"):
        return "token"
    if record.path.endswith("/send"):
        return "send"
    return "lookup" if record.method == "GET" else "draft"


def wait_for_kill_point(emulator, process: subprocess.Popen[str], step: str, n: int) -> None:  # type: ignore[no-untyped-def]
    """Return once the emulator has answered `n` requests of `step` since `process` started (or it exited)."""
    seen, index = 0, len(emulator.requests)
    deadline = time.monotonic() + 60
    while process.poll() is None:
        log = emulator.requests
        for record in log[index:]:
            if step == "any" or step_of(record) == step:
                seen += 1
                if seen == n:
                    return
        index = len(log)
        assert time.monotonic() < deadline, "the deliverer made no progress"
        time.sleep(0.001)


@pytest.mark.slow
def test_killing_the_deliverer_at_50_random_points_of_a_500_message_drain_loses_and_duplicates_nothing(
    data_dir: Path,
    sessions: sessionmaker[Session],
    emulator,  # type: ignore[no-untyped-def]
) -> None:
    queue_mail(sessions, MESSAGES)
    rng = random.Random(SEED)
    kill_points: Counter[str] = Counter()
    killed_while_sending = 0  # kills that left a row claimed (`sending`) but not finished

    for run in range(1, KILLS + 1):
        # Only a row an earlier run claimed is looked up first (a first attempt has nothing to find): once per restart.
        recovering = outbox_status(sessions)["sending"] > 0
        step = rng.choice(STEPS if recovering else STEPS[1:])
        n = 1 if step == "lookup" else rng.randint(1, 24 if step == "any" else 12)
        pause = rng.choice((0.0, rng.uniform(0.0, 0.025)))
        process = deliver_process(stdout=subprocess.DEVNULL)
        wait_for_kill_point(emulator, process, step, n)
        time.sleep(pause)
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"run {run} ended (exit {process.returncode}) before its kill point: {stderr[-2000:]}")
        process.kill()
        process.communicate(timeout=30)
        assert process.returncode == -9
        kill_points[step] += 1
        killed_while_sending += outbox_status(sessions)["sending"]

    left = outbox_status(sessions)
    assert left["pending"] + left["sending"] > 0, "the kills came too late: the outbox was already drained"

    final = deliver_process()
    stdout, stderr = final.communicate(timeout=180)
    assert final.returncode == 0, stderr[-2000:]
    assert "failed 0" in stdout

    assert_each_delivered_exactly_once(emulator, sessions, MESSAGES)
    # The kills did interrupt deliveries half-way (a row claimed, the gateway called, the outcome not recorded).
    assert killed_while_sending >= KILLS // 2, (killed_while_sending, kill_points)
