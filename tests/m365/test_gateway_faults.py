"""Injected faults: throttling, outages, dropped connections and lost responses at every protocol step.
Whatever happens, each event exists once and each message is delivered once."""

from __future__ import annotations

import pytest
from gateway_support import (
    ORGANISER,
    OUT_OF_SCOPE,
    faulted,
    graph_requests,
    kinds_received,
    letter,
    people,
    workshop,
)

from graph_emulator import GraphEmulator
from rollout.m365.gateway import O365Gateway
from rollout.m365.retry import RetryPolicy
from rollout.outbound.gateway import SystemicGraphError, TransientGraphError

EVENTS = "/users/*/events"
MESSAGES = "/users/*/messages"
SEND = "/users/*/messages/*/send"


def test_a_503_with_retry_after_is_waited_out_before_the_create_is_retried(
    emu: GraphEmulator, gateway: O365Gateway
) -> None:
    emu.faults.once("POST", EVENTS, status=503, retry_after=1)
    gateway.create_event(workshop(), "k")
    refused, accepted = graph_requests(emu, "POST", "/events")
    assert (refused.status, accepted.status) == (503, 201)
    assert accepted.started - refused.finished >= 1.0
    assert not any(r.before_retry_after for r in emu.requests)
    assert len(emu.events(ORGANISER)) == 1


def test_a_429_on_patch_and_on_cancel_is_retried_after_retry_after(emu: GraphEmulator, gateway: O365Gateway) -> None:
    spec = workshop()
    event_id = gateway.create_event(spec, "k")
    emu.faults.once("PATCH", f"{EVENTS}/*", status=429, retry_after=1)
    gateway.update_event(event_id, workshop(location="Library, Room 1"))
    emu.faults.once("POST", f"{EVENTS}/*/cancel", status=429, retry_after=1)
    gateway.cancel_event(event_id, "sorry")
    assert not any(r.before_retry_after for r in emu.requests)
    assert kinds_received(emu, "person1@hub.example") == ["invitation", "update", "cancellation"]
    assert gateway.stats()["throttled"] == 2


@pytest.mark.parametrize("fault", ["drop", "lost-response"])
def test_a_create_whose_answer_never_arrives_makes_one_event(
    emu: GraphEmulator, gateway: O365Gateway, fault: str
) -> None:
    emu.faults.once("POST", EVENTS, drop=True, after_commit=fault == "lost-response")
    event_id = gateway.create_event(workshop(), "k")
    assert [r.fault for r in faulted(emu)] == [fault]
    [event] = emu.events(ORGANISER)
    assert event["id"] == event_id
    assert kinds_received(emu, "person1@hub.example") == ["invitation"]


def test_a_cancel_whose_answer_is_lost_sends_one_cancellation(emu: GraphEmulator, gateway: O365Gateway) -> None:
    event_id = gateway.create_event(workshop(), "k")
    emu.faults.once("POST", f"{EVENTS}/*/cancel", drop=True, after_commit=True)
    gateway.cancel_event(event_id, "sorry")
    assert [r.fault for r in faulted(emu)] == ["lost-response"]
    assert kinds_received(emu, "person1@hub.example") == ["invitation", "cancellation"]


def test_an_update_whose_answer_is_lost_is_not_sent_twice(emu: GraphEmulator, gateway: O365Gateway) -> None:
    event_id = gateway.create_event(workshop(), "k")
    emu.faults.once("PATCH", f"{EVENTS}/*", drop=True, after_commit=True)
    gateway.update_event(event_id, workshop(location="Library, Room 1"))
    assert [r.fault for r in faulted(emu)] == ["lost-response"]
    assert kinds_received(emu, "person1@hub.example") == ["invitation", "update"]
    assert len(graph_requests(emu, "PATCH")) == 1


@pytest.mark.parametrize(
    ("method", "path", "after_commit"),
    [
        ("GET", MESSAGES, False),  # the lookup's connection drops
        ("POST", MESSAGES, True),  # the draft is created but its id never arrives
        ("POST", MESSAGES, False),  # the draft request is lost before Exchange sees it
        ("POST", SEND, True),  # the message goes but the 202 is lost
        ("POST", SEND, False),  # /send is lost before Exchange sees it
    ],
)
@pytest.mark.parametrize("first_attempt", [False, True])
def test_mail_is_delivered_exactly_once_whichever_step_loses_its_answer(
    emu: GraphEmulator, gateway: O365Gateway, method: str, path: str, after_commit: bool, first_attempt: bool
) -> None:
    ann = people(1)[0]
    emu.faults.once(method, path, drop=True, after_commit=after_commit)
    gateway.send_mail(letter(ann), "wave-1/ann/reminder", first_attempt=first_attempt)
    gateway.send_mail(letter(ann), "wave-1/ann/reminder")  # and a later re-run changes nothing
    assert len(emu.mailbox(ann.email)) == 1
    assert len(faulted(emu)) == 1 and emu.faults.pending() == 0
    drafts = [r for r in graph_requests(emu, "POST", "/messages") if r.committed]
    assert len(drafts) == 1  # one draft ever created: a retry found the first one


def test_mail_survives_a_503_on_every_step(emu: GraphEmulator, gateway: O365Gateway) -> None:
    ann = people(1)[0]
    emu.faults.once("GET", MESSAGES, status=503, retry_after=1)
    emu.faults.once("POST", MESSAGES, status=503)
    emu.faults.once("POST", SEND, status=503)
    gateway.send_mail(letter(ann), "k")
    assert len(faulted(emu)) == 3
    assert len(emu.mailbox(ann.email)) == 1
    assert not any(r.before_retry_after for r in emu.requests)


def test_an_outage_longer_than_the_retry_budget_raises_a_transient_error(emu: GraphEmulator, make_gateway) -> None:
    gateway = make_gateway(retry_policy=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02))
    emu.faults.once("POST", EVENTS, status=503, times=5)
    with pytest.raises(TransientGraphError) as caught:
        gateway.create_event(workshop(), "k")
    assert caught.value.status == 503 and caught.value.code == "ServiceNotAvailable"
    assert len(graph_requests(emu, "POST", "/events")) == 3
    emu.faults.clear()
    gateway.create_event(workshop(), "k")  # once the outage ends, the same key succeeds once
    assert len(emu.events(ORGANISER)) == 1


def test_a_mailbox_outside_the_apps_scope_is_a_systemic_access_denied_naming_the_fix(
    emu: GraphEmulator, make_gateway
) -> None:
    gateway = make_gateway(organiser=OUT_OF_SCOPE)
    with pytest.raises(SystemicGraphError) as caught:
        gateway.create_event(workshop(), "k")
    assert caught.value.status == 403 and caught.value.code == "ErrorAccessDenied"
    assert f"denied the app access to the organiser mailbox {OUT_OF_SCOPE}" in caught.value.render()
    assert "RBAC for Applications" in caught.value.render()
    assert len(graph_requests(emu)) == 1  # not retried
