"""Injected failures: one-shot status codes, dropped connections, lost responses, rates and latency."""

from __future__ import annotations

import time

import msal
import pytest
import requests

from graph_emulator import GraphEmulator
from tests.emulator.conftest import ORGANISER, TENANT, Graph, event_body, ids, start_emulator, token_for


def test_one_shot_503_carries_retry_after_and_changes_nothing(graph: Graph, emu: GraphEmulator) -> None:
    draft = graph.post(
        "/messages", json={"subject": "s", "toRecipients": [{"emailAddress": {"address": "a@example.org"}}]}
    ).json()
    emu.faults.once("POST", "/users/*/messages/*/send", status=503, retry_after=1)

    failed = graph.post(f"/messages/{ids(draft['id'])}/send")
    assert emu.mailboxes() == {}
    time.sleep(1.05)  # honour Retry-After, as a well-behaved client does
    retried = graph.post(f"/messages/{ids(draft['id'])}/send")

    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "1"
    assert failed.json()["error"]["code"] == "ServiceNotAvailable"
    assert retried.status_code == 202
    assert len(emu.mailbox("a@example.org")) == 1
    send_log = [r for r in emu.requests if r.path.endswith("/send")]
    assert [(r.status, r.before_retry_after) for r in send_log] == [(503, False), (202, False)]


def test_dropped_connection_gets_no_response_and_does_nothing(graph: Graph, emu: GraphEmulator) -> None:
    emu.faults.once("POST", "/users/*/events", drop=True)

    with pytest.raises(requests.ConnectionError):
        graph.post("/events", json=event_body(attendees=("a@example.org",)))

    assert emu.events(ORGANISER) == []
    assert emu.requests[-1].status == 0
    assert emu.requests[-1].fault == "drop"
    assert graph.post("/events", json=event_body()).status_code == 201  # the client reconnects


def test_lost_response_after_commit_is_survived_by_transaction_id(graph: Graph, emu: GraphEmulator) -> None:
    emu.faults.once("POST", "/users/*/events", drop=True, after_commit=True)
    body = event_body(attendees=("a@example.org",), transactionId="wave1-w1")

    with pytest.raises(requests.ConnectionError):
        graph.post("/events", json=body)
    created = emu.events(ORGANISER)
    retry = graph.post("/events", json=body)

    assert len(created) == 1
    assert retry.json()["id"] == created[0]["id"]
    assert len(emu.events(ORGANISER)) == 1
    assert len(emu.mailbox("a@example.org")) == 1
    lost = [r for r in emu.requests if r.fault]
    assert [(r.status, r.committed, r.fault) for r in lost] == [(0, True, "lost-response")]


def test_after_commit_can_answer_with_a_5xx_instead(graph: Graph, emu: GraphEmulator) -> None:
    emu.faults.once("POST", "/users/*/sendMail", status=504, after_commit=True)

    response = graph.post(
        "/sendMail", json={"message": {"toRecipients": [{"emailAddress": {"address": "a@example.org"}}]}}
    )

    assert response.status_code == 504
    assert len(emu.mailbox("a@example.org")) == 1


def test_one_shot_patterns_match_one_segment_per_star(graph: Graph, emu: GraphEmulator) -> None:
    emu.faults.once("POST", "/users/*/events", status=500)

    assert graph.post("/calendar/events", json=event_body()).status_code == 201
    assert graph.post("/events", json=event_body()).status_code == 500
    assert graph.post("/events", json=event_body()).status_code == 201


def test_one_shot_fault_on_the_token_endpoint_reaches_msal(emu: GraphEmulator) -> None:
    emu.faults.once("POST", f"/{TENANT}/oauth2/v2.0/token", status=503, retry_after=2)

    with pytest.raises(msal.exceptions.MsalServiceError):  # msal raises on a 5xx from the token endpoint
        token_for(emu)
    assert token_for(emu)


def test_fault_rates_are_repeatable_for_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        emulator = start_emulator(seed=seed)
        try:
            emulator.faults.rate_503 = 0.3
            emulator.faults.rate_429 = 0.2
            graph = Graph(emulator, token_for(emulator))
            return [graph.get("/events").status_code for _ in range(20)]
        finally:
            emulator.stop()

    first, second = statuses(7), statuses(7)

    assert first == second
    assert {429, 503, 200} <= set(first)


def test_latency_slows_each_graph_request(graph: Graph, emu: GraphEmulator) -> None:
    emu.faults.latency_ms = 150
    began = time.monotonic()

    graph.get("/events")

    assert time.monotonic() - began >= 0.15


def test_clear_removes_pending_faults_and_rates(graph: Graph, emu: GraphEmulator) -> None:
    emu.faults.once("GET", "/users/*/events", status=503)
    emu.faults.rate_drop = 1.0

    emu.faults.clear()

    assert graph.get("/events").status_code == 200
