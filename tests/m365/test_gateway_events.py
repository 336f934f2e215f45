"""Workshop events through the gateway: invitations, updates, cancellations and RSVPs, on the emulator."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from gateway_support import ORGANISER, graph_requests, kinds_received, people, workshop

from graph_emulator import GraphEmulator
from rollout.m365.gateway import O365Gateway
from rollout.outbound.gateway import NotFoundGraphError, Recipient


def test_creating_an_event_invites_every_attendee_once(emu: GraphEmulator, gateway: O365Gateway) -> None:
    event_id = gateway.create_event(workshop(online=True), "wave-1/hub-a/workshop-1")
    [event] = emu.events(ORGANISER)
    assert event["id"] == event_id
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["onlineMeeting"]["joinUrl"]
    assert event["hideAttendees"] is True and event["allowNewTimeProposals"] is False
    assert event["start"]["dateTime"].startswith("2026-06-02T09:00:00")  # 10:00 BST
    assert event["originalStartTimeZone"] == "GMT Standard Time"
    assert event["location"]["displayName"] == "Civic Hall, Room 2"
    for person in people(3):
        assert kinds_received(emu, person.email) == ["invitation"]
    # Addressed as /users/{organiser}: an app-only token has no /me.
    assert all(r.path.startswith(f"/v1.0/users/{ORGANISER}/") for r in graph_requests(emu))


def test_creating_again_with_the_same_key_returns_the_same_event(emu: GraphEmulator, gateway: O365Gateway) -> None:
    first = gateway.create_event(workshop(), "wave-1/hub-a/workshop-1")
    again = gateway.create_event(workshop(), "wave-1/hub-a/workshop-1")
    other = gateway.create_event(workshop(), "wave-1/hub-a/workshop-2")
    assert first == again != other
    assert len(emu.events(ORGANISER)) == 2
    assert kinds_received(emu, "person1@hub.example") == ["invitation", "invitation"]


def test_an_unchanged_update_sends_nothing(emu: GraphEmulator, gateway: O365Gateway) -> None:
    event_id = gateway.create_event(workshop(online=True), "k")
    gateway.update_event(event_id, workshop(online=True))
    assert graph_requests(emu, "PATCH") == []
    assert kinds_received(emu, "person1@hub.example") == ["invitation"]


def test_moving_an_event_notifies_attendees_and_keeps_the_rest(emu: GraphEmulator, gateway: O365Gateway) -> None:
    spec = workshop()
    event_id = gateway.create_event(spec, "k")
    moved = dataclasses.replace(spec, start=spec.start + dt.timedelta(days=7), end=spec.end + dt.timedelta(days=7))
    gateway.update_event(event_id, moved)
    gateway.update_event(event_id, moved)  # a re-run: nothing further
    [patch] = graph_requests(emu, "PATCH")
    assert patch.is_send
    [event] = emu.events(ORGANISER)
    assert event["start"]["dateTime"].startswith("2026-06-09T09:00:00")
    assert kinds_received(emu, "person2@hub.example") == ["invitation", "update"]


def test_changing_attendees_invites_the_new_and_releases_the_removed(emu: GraphEmulator, gateway: O365Gateway) -> None:
    spec = workshop(attendees=people(2))
    event_id = gateway.create_event(spec, "k")
    newcomer = Recipient("New Person", "new.person@hub.example")
    gateway.update_event(event_id, dataclasses.replace(spec, attendees=(people(2)[0], newcomer)))
    assert kinds_received(emu, "person1@hub.example") == ["invitation"]
    assert kinds_received(emu, "person2@hub.example") == ["invitation", "cancellation"]
    assert kinds_received(emu, "new.person@hub.example") == ["invitation"]


def test_moving_online_and_retitling_patch_only_those_fields(emu: GraphEmulator, gateway: O365Gateway) -> None:
    spec = workshop()
    event_id = gateway.create_event(spec, "k")
    gateway.update_event(event_id, dataclasses.replace(spec, online=True, location=None, subject="Workshop 1 (online)"))
    [event] = emu.events(ORGANISER)
    assert event["subject"] == "Workshop 1 (online)"
    assert event["isOnlineMeeting"] is True and event["location"]["displayName"] == ""


def test_body_edits_are_sent_once_and_recognised_afterwards(emu: GraphEmulator, gateway: O365Gateway) -> None:
    spec = workshop()
    event_id = gateway.create_event(spec, "k")
    edited = dataclasses.replace(spec, body_html="<p>New agenda: <i>apps for repeat prescriptions</i></p>")
    gateway.update_event(event_id, edited)
    gateway.update_event(event_id, edited)
    assert len(graph_requests(emu, "PATCH")) == 1
    assert "repeat prescriptions" in emu.events(ORGANISER)[0]["body"]["content"]


def test_cancelling_notifies_everyone_once_even_when_repeated(emu: GraphEmulator, gateway: O365Gateway) -> None:
    event_id = gateway.create_event(workshop(), "k")
    gateway.cancel_event(event_id, "The hall is unavailable; we will be in touch.")
    gateway.cancel_event(event_id, "The hall is unavailable; we will be in touch.")
    assert emu.events(ORGANISER) == []
    for person in people(3):
        assert kinds_received(emu, person.email) == ["invitation", "cancellation"]
    [cancellation] = [i for i in emu.mailbox("person1@hub.example") if i.kind == "cancellation"]
    assert "hall is unavailable" in cancellation.text
    assert len(graph_requests(emu, "POST", "/cancel")) == 1


def test_cancelling_an_event_that_never_existed_is_not_an_error(gateway: O365Gateway) -> None:
    gateway.cancel_event("AAMkAGI2NGVhZTVlLTI1OGMtNDI4My1iZmE5LTA5OGJiZGJhOTE0OQBGAAAAAAA=", "no longer needed")


def test_an_event_without_attendees_is_deleted_rather_than_cancelled(emu: GraphEmulator, gateway: O365Gateway) -> None:
    event_id = gateway.create_event(workshop(attendees=()), "k")
    gateway.cancel_event(event_id, "not needed")
    assert emu.events(ORGANISER) == []
    assert graph_requests(emu, "POST", "/cancel") == []


def test_responses_are_read_back_for_every_attendee(emu: GraphEmulator, gateway: O365Gateway) -> None:
    crowd = people(25)  # more attendees than the emulator's page size: attendees come inline, not paged
    event_id = gateway.create_event(workshop(attendees=crowd), "k")
    emu.set_response(ORGANISER, event_id, "person1@hub.example", "accepted")
    emu.set_response(ORGANISER, event_id, "person2@hub.example", "tentativelyAccepted")
    emu.set_response(ORGANISER, event_id, "person3@hub.example", "declined")
    state = gateway.get_event(event_id)
    assert state.event_id == event_id and state.is_cancelled is False
    answers = {a.email: a.response for a in state.attendees}
    assert len(answers) == 25
    assert answers["person1@hub.example"] == "accepted"
    assert answers["person2@hub.example"] == "tentative"
    assert answers["person3@hub.example"] == "declined"
    assert {answers[p.email] for p in crowd[3:]} == {"none"}
    responded = {a.email: a.responded_at for a in state.attendees}
    assert responded["person1@hub.example"] is not None and responded["person4@hub.example"] is None
    assert ORGANISER not in answers


def test_many_events_each_read_back_independently(emu: GraphEmulator, gateway: O365Gateway) -> None:
    ids = [gateway.create_event(workshop(subject=f"Workshop {n}"), f"wave-2/workshop-{n}") for n in range(12)]
    assert len(set(ids)) == 12 and len(emu.events(ORGANISER)) == 12
    emu.set_response(ORGANISER, ids[11], "person2@hub.example", "accepted")
    assert [a.response for a in gateway.get_event(ids[11]).attendees] == ["none", "accepted", "none"]


def test_reading_a_missing_event_raises_not_found_with_graphs_code(gateway: O365Gateway) -> None:
    with pytest.raises(NotFoundGraphError) as caught:
        gateway.get_event("AAMkAGI2NGVhZTVlLTI1OGMtNDI4My1iZmE5LTA5OGJiZGJhOTE0OQBGAAAAAAA=")
    assert caught.value.status == 404
    assert caught.value.code == "ErrorItemNotFound"
