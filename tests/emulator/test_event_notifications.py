"""What attendees receive when the organiser edits, cancels or deletes a meeting, and how RSVPs show."""

from __future__ import annotations

from typing import Any

from graph_emulator import GraphEmulator
from tests.emulator.conftest import ORGANISER, Graph, event_body, ids


def _attendees(*addresses: str) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": a}, "type": "required"} for a in addresses]


def _kinds(emu: GraphEmulator, address: str) -> list[str]:
    return [item.kind for item in emu.mailbox(address)]


def _meeting(graph: Graph, *addresses: str) -> str:
    created = graph.post("/events", json=event_body(attendees=addresses))
    assert created.status_code == 201
    return str(created.json()["id"])


def test_added_attendee_is_invited_and_nobody_else_hears(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org")

    response = graph.patch(f"/events/{ids(event_id)}", json={"attendees": _attendees("a@example.org", "c@example.org")})

    assert response.status_code == 200
    assert _kinds(emu, "c@example.org") == ["invitation"]
    assert _kinds(emu, "a@example.org") == ["invitation"]
    assert emu.requests[-1].is_send


def test_removed_attendee_gets_a_cancellation(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org", "b@example.org")

    graph.patch(f"/events/{ids(event_id)}", json={"attendees": _attendees("a@example.org")})

    assert _kinds(emu, "b@example.org") == ["invitation", "cancellation"]
    assert _kinds(emu, "a@example.org") == ["invitation"]


def test_time_change_sends_an_update_to_everyone_still_invited(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org", "b@example.org")
    moved = {
        "start": {"dateTime": "2026-03-03T09:00:00", "timeZone": "Europe/London"},
        "end": {"dateTime": "2026-03-03T11:00:00", "timeZone": "Europe/London"},
    }

    graph.patch(f"/events/{ids(event_id)}", json=moved)

    for address in ("a@example.org", "b@example.org"):
        update = emu.mailbox(address)[-1]
        assert update.kind == "update"
        assert update.start is not None and update.start.isoformat() == "2026-03-03T09:00:00+00:00"


def test_location_change_sends_an_update(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org")

    graph.patch(f"/events/{ids(event_id)}", json={"location": {"displayName": "Beeston Library"}})

    assert _kinds(emu, "a@example.org") == ["invitation", "update"]
    assert emu.mailbox("a@example.org")[-1].location == "Beeston Library"


def test_subject_or_body_change_and_no_op_patch_send_nothing(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org")
    same_time = {
        "start": {"dateTime": "2026-03-02T09:00:00", "timeZone": "UTC"},  # the same instant, spelled in UTC
        "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "UTC"},
        "attendees": _attendees("A@Example.org"),
    }

    for body in (
        {"subject": "Renamed"},
        {"body": {"contentType": "html", "content": "<p>new</p>"}},
        {},
        same_time,
    ):
        assert graph.patch(f"/events/{ids(event_id)}", json=body).status_code == 200

    assert _kinds(emu, "a@example.org") == ["invitation"]
    assert not any(r.is_send for r in emu.requests if r.method == "PATCH")
    assert graph.get(f"/events/{ids(event_id)}").json()["subject"] == "Renamed"


def test_patch_is_validated_against_the_event_schema(graph: Graph) -> None:
    event_id = _meeting(graph)

    response = graph.patch(f"/events/{ids(event_id)}", json={"isOnlineMeeting": "true"})

    assert response.status_code == 400


def test_cancel_notifies_every_attendee_with_the_comment_and_removes_the_event(
    graph: Graph, emu: GraphEmulator
) -> None:
    event_id = _meeting(graph, "a@example.org", "b@example.org")

    response = graph.post(f"/events/{ids(event_id)}/cancel", json={"comment": "Venue flooded, sorry."})

    assert response.status_code == 202
    for address in ("a@example.org", "b@example.org"):
        cancellation = emu.mailbox(address)[-1]
        assert cancellation.kind == "cancellation"
        assert cancellation.subject == "Canceled: Workshop 1"
        assert "Venue flooded, sorry." in cancellation.text
    gone = graph.get(f"/events/{ids(event_id)}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "ErrorItemNotFound"
    assert emu.events(ORGANISER) == []
    assert graph.post(f"/events/{ids(event_id)}/cancel", json={}).status_code == 404


def test_cancel_with_o365s_send_response_parameter_is_rejected(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org")

    response = graph.post(f"/events/{ids(event_id)}/cancel", json={"comment": "x", "sendResponse": True})

    assert response.status_code == 400
    assert "sendResponse" in response.json()["error"]["message"]
    assert _kinds(emu, "a@example.org") == ["invitation"]


def test_delete_returns_204_and_cancels_for_attendees(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org")

    assert graph.delete(f"/events/{ids(event_id)}").status_code == 204
    assert _kinds(emu, "a@example.org") == ["invitation", "cancellation"]
    assert graph.get(f"/events/{ids(event_id)}").status_code == 404


def test_rsvps_show_in_attendee_status(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org", "b@example.org", "c@example.org")

    emu.set_response(ORGANISER, event_id, "a@example.org", "accepted")
    emu.set_response(ORGANISER, event_id, "B@example.org", "tentativelyAccepted")

    statuses = {
        a["emailAddress"]["address"]: a["status"] for a in graph.get(f"/events/{ids(event_id)}").json()["attendees"]
    }
    assert statuses["a@example.org"]["response"] == "accepted"
    assert statuses["a@example.org"]["time"].endswith("Z")
    assert statuses["b@example.org"]["response"] == "tentativelyAccepted"
    assert statuses["c@example.org"] == {"response": "none", "time": "0001-01-01T00:00:00Z"}


def test_rescheduling_clears_responses_but_adding_people_keeps_them(graph: Graph, emu: GraphEmulator) -> None:
    event_id = _meeting(graph, "a@example.org")
    emu.set_response(ORGANISER, event_id, "a@example.org", "accepted")

    graph.patch(f"/events/{ids(event_id)}", json={"attendees": _attendees("a@example.org", "b@example.org")})
    kept = graph.get(f"/events/{ids(event_id)}").json()["attendees"][0]["status"]["response"]
    moved = graph.patch(
        f"/events/{ids(event_id)}",
        json={
            "start": {"dateTime": "2026-03-04T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-04T10:00:00", "timeZone": "UTC"},
        },
    )
    assert moved.status_code == 200
    cleared = graph.get(f"/events/{ids(event_id)}").json()["attendees"][0]["status"]["response"]

    assert (kept, cleared) == ("accepted", "none")
