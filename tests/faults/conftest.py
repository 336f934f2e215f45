"""A Graph emulator of the test's own, for fault tests that need a fixed seed or their own limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from graph_emulator import EmulatorConfig, GraphEmulator
from tests.conftest import CLIENT_SECRET, TENANT_ID
from tests.faults.support import ORGANISER

# Not the session emulator's client id: the gateway's in-flight limit, pacer and Retry-After gate are
# process-wide per client id, and these tests should not share them with anything else.
FAULT_CLIENT_ID = "rollout-fault-tests"


@pytest.fixture
def own_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., GraphEmulator]]:
    """`own_emulator(seed=..., token_lifetime_s=..., ...)` starts an emulator for this test only (faults drawn
    from its own seed, so they fall the same way on every run) and points the ROLLOUT_* settings at it."""
    started: list[GraphEmulator] = []

    def start(**config: Any) -> GraphEmulator:
        emulator = GraphEmulator(EmulatorConfig(**({"send_pace_per_minute": 6000} | config))).start()
        started.append(emulator)
        emulator.register_app(TENANT_ID, FAULT_CLIENT_ID, CLIENT_SECRET, mailboxes=[ORGANISER])
        settings = {
            "ROLLOUT_TENANT_ID": TENANT_ID,
            "ROLLOUT_CLIENT_ID": FAULT_CLIENT_ID,
            "ROLLOUT_CLIENT_SECRET": CLIENT_SECRET,
            "ROLLOUT_GRAPH_URL": emulator.graph_url,
            "ROLLOUT_LOGIN_URL": emulator.login_url,
            "ROLLOUT_CA_BUNDLE": str(emulator.ca_bundle),
            "ROLLOUT_SEND_PACE": str(emulator.config.send_pace_per_minute),
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("ROLLOUT_ORGANISER", raising=False)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()
