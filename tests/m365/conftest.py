"""Fixtures: one emulator per session (reset before each test) and gateways pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gateway_support import FAST_RETRIES, settings_for, start_emulator

from graph_emulator import GraphEmulator
from rollout.m365.gateway import O365Gateway
from rollout.m365.retry import RetryPolicy


@pytest.fixture(scope="session")
def _shared_emulator() -> Iterator[GraphEmulator]:
    emulator = start_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(_shared_emulator: GraphEmulator) -> GraphEmulator:
    _shared_emulator.reset()
    _shared_emulator.token_lifetime_s = 3600
    return _shared_emulator


GatewayFactory = Callable[..., O365Gateway]


@pytest.fixture
def make_gateway(emu: GraphEmulator) -> Iterator[GatewayFactory]:
    made: list[O365Gateway] = []

    def make(*, retry_policy: RetryPolicy = FAST_RETRIES, pace_window_s: float = 60.0, **overrides: Any) -> O365Gateway:
        gateway = O365Gateway(settings_for(emu, **overrides), retry_policy=retry_policy, pace_window_s=pace_window_s)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> O365Gateway:
    return make_gateway()
