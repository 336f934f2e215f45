"""With ROLLOUT_SHARED_LIMITS=prefect the gateway takes its slots from the Prefect server's limits, strictly."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

from deployments.limits import ensure_limits, gateway_limit_specs
from graph_emulator import GraphEmulator
from graph_emulator.requestlog import most_in_flight
from rollout.m365.gateway import O365Gateway
from rollout.m365.settings import GatewaySettings
from rollout.m365.shared_limits import LimitSpec, SharedLimitMissingError, limit_names, limit_specs, send_hold_s
from tests.m365.gateway_support import (
    FAST_RETRIES,
    ORGANISER,
    SECRET,
    TENANT,
    letter,
    people,
    settings_for,
    start_emulator,
)

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
def emulator() -> Iterator[GraphEmulator]:
    emulator = start_emulator()
    yield emulator
    emulator.stop()


def _app(emulator: GraphEmulator, client_id: str) -> GatewaySettings:
    # A client id of its own: the process-wide semaphores are per app, and other tests must not share them.
    emulator.register_app(TENANT, client_id, SECRET, mailboxes=[ORGANISER])
    return settings_for(emulator, client_id=client_id, shared_limits="prefect")


def _delete_limits(client_id: str) -> None:
    names = limit_names(client_id, ORGANISER)
    with get_client(sync_client=True) as client:
        for name in (names.requests, names.sends):
            with contextlib.suppress(ObjectNotFound):  # absent is what we want
                client.delete_global_concurrency_limit_by_name(name)


def test_a_missing_shared_limit_stops_the_send_with_a_message_that_says_how_to_create_it(
    emulator: GraphEmulator,
) -> None:
    client_id = "shared-limits-missing"
    _delete_limits(client_id)
    gateway = O365Gateway(_app(emulator, client_id), retry_policy=FAST_RETRIES)
    with pytest.raises(SharedLimitMissingError) as raised:
        gateway.send_mail(letter(*people(1)), "key-missing-limit", first_attempt=True)
    assert "rollout deploy" in str(raised.value)
    assert emulator.mailbox("person1@hub.example") == []


def test_the_server_limit_caps_requests_in_flight_below_the_process_limit(emulator: GraphEmulator) -> None:
    client_id = "shared-limits-two"
    _delete_limits(client_id)
    specs = limit_specs(client_id, ORGANISER, max_in_flight=2)
    assert {change.outcome for change in ensure_limits(specs)} == {"created"}
    gateway = O365Gateway(_app(emulator, client_id), retry_policy=FAST_RETRIES)  # 4 in flight per process

    def send(i: int) -> None:
        gateway.send_mail(letter(*people(1, domain=f"t{i}.example")), f"key-{i}", first_attempt=True)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(len(emulator.mailbox(f"person1@t{i}.example")) == 1 for i in range(8))
    assert most_in_flight(emulator.requests) <= 2
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(limit_names(client_id, ORGANISER).requests)
    assert limit.active_slots == 0  # every slot given back


def test_one_send_holds_the_mailbox_a_little_over_its_share_of_a_minute() -> None:
    requests, sends = limit_specs("app", "Hubs@Council.example", max_in_flight=4)
    assert requests == LimitSpec("rollout-graph-requests:app:hubs@council.example", 4)
    assert sends == LimitSpec("rollout-graph-sends:hubs@council.example", 1)
    # Holds never overlap: 30 holds take more than a minute, with a second of margin for a slow arrival.
    assert 30 * send_hold_s(30) >= 61
    assert 30 * send_hold_s(30) <= 62


def test_deploying_the_limits_twice_changes_nothing_the_second_time() -> None:
    env = {"ROLLOUT_CLIENT_ID": "shared-limits-deploy"}
    _delete_limits("shared-limits-deploy")
    specs = gateway_limit_specs(env, organiser_fallback=ORGANISER)
    assert [c.outcome for c in ensure_limits(specs)] == ["created", "created"]
    assert [c.outcome for c in ensure_limits(specs)] == ["unchanged", "unchanged"]
    fewer = gateway_limit_specs(env | {"ROLLOUT_GRAPH_MAX_IN_FLIGHT": "2"}, organiser_fallback=ORGANISER)
    assert [c.outcome for c in ensure_limits(fewer)] == ["updated", "unchanged"]
