"""Mailbox scope (RBAC for Applications), app-only rules, and the concurrency and send-rate throttles."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from graph_emulator import GraphEmulator
from graph_emulator.errors import ServiceError
from graph_emulator.limits import SendPace
from tests.emulator.conftest import OTHER_CLIENT, Graph, event_body, start_emulator, token_for


def test_mailbox_outside_the_apps_scope_is_access_denied(graph: Graph, emu: GraphEmulator) -> None:
    outsider = Graph(emu, token_for(emu), mailbox="ceo@example.org")

    response = outsider.post("/sendMail", json={"message": {"subject": "x"}})

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "ErrorAccessDenied",
        "message": "Access is denied. Check credentials and try again.",
        "innerError": response.json()["error"]["innerError"],
    }
    assert emu.mailboxes() == {}


def test_another_app_cannot_use_the_organisers_mailbox(graph: Graph, emu: GraphEmulator) -> None:
    other = Graph(emu, token_for(emu, OTHER_CLIENT, "other-secret"))

    assert other.get("/events").status_code == 403
    assert graph.get("/events").status_code == 200


def test_me_is_a_bad_request_for_app_only_tokens(graph: Graph) -> None:
    response = graph.session.get(f"{graph.emulator.graph_url}/me/events", timeout=5)

    assert response.status_code == 400
    assert "delegated" in response.json()["error"]["message"]


def test_fifth_concurrent_request_of_an_app_is_throttled(graph: Graph, emu: GraphEmulator) -> None:
    sessions = []
    for _ in range(5):
        client = Graph(emu, token_for(emu))
        assert client.get("/events").status_code == 200  # connect now, so the burst below is simultaneous
        sessions.append(client)
    emu.faults.latency_ms = 400
    start = threading.Barrier(5)
    statuses: list[requests.Response] = []

    def call(client: Graph) -> None:
        start.wait()
        statuses.append(client.get("/events"))

    threads = [threading.Thread(target=call, args=(c,)) for c in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    throttled = [r for r in statuses if r.status_code == 429]
    assert sorted(r.status_code for r in statuses) == [200, 200, 200, 200, 429]
    assert throttled[0].json()["error"]["code"] == "ApplicationThrottled"
    assert int(throttled[0].headers["Retry-After"]) >= 1


@pytest.fixture
def paced() -> Iterator[GraphEmulator]:
    emulator = start_emulator(send_pace_per_minute=3)
    yield emulator
    emulator.stop()


def _mail(n: int) -> dict[str, object]:
    return {"message": {"subject": f"m{n}", "toRecipients": [{"emailAddress": {"address": "a@example.org"}}]}}


def test_sends_over_the_mailbox_pace_are_throttled_with_retry_after(paced: GraphEmulator) -> None:
    graph = Graph(paced, token_for(paced))
    accepted = [graph.post("/sendMail", json=_mail(n)).status_code for n in range(3)]
    assert graph.post("/events", json=event_body()).status_code == 201  # no attendees: not a send

    over = graph.post("/sendMail", json=_mail(3))
    invite = graph.post("/events", json=event_body(attendees=("a@example.org",)))

    assert accepted == [202, 202, 202]
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "ErrorExceededMessageLimit"
    assert 55 <= int(over.headers["Retry-After"]) <= 60
    assert invite.status_code == 429
    assert len(paced.mailbox("a@example.org")) == 3
    assert paced.events("organiser@example.org") != [] and len(paced.events("organiser@example.org")) == 1
    log = [r for r in paced.requests if r.mailbox]
    assert [r.before_retry_after for r in log] == [False, False, False, False, False, True]
    assert [r.is_send for r in log] == [True, True, True, False, False, False]


def test_the_send_window_slides() -> None:
    pace = SendPace(per_minute=2)
    pace.take("m", now=0.0)
    pace.take("m", now=10.0)

    with pytest.raises(ServiceError) as refused:
        pace.take("m", now=20.0)
    pace.take("m", now=60.5)  # the send at 0.0 has left the window

    assert refused.value.retry_after == 40
    assert refused.value.status == 429
