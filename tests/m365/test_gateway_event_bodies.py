"""Event bodies are built by the gateway, satisfy Graph's schema, and PATCH only what differs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rollout.m365 import schema
from rollout.m365.events import (
    BODY_FINGERPRINT_PROPERTY,
    body_fingerprint,
    create_body,
    event_state,
    parse_graph_time,
    patch_body,
    transaction_id_for,
)
from rollout.m365.schema import RequestSchemaError, validate_body
from rollout.outbound.gateway import AttendeeResponse, EventSpec, Recipient

LONDON = ZoneInfo("Europe/London")


def spec(**changes) -> EventSpec:
    base = dict(
        subject="Digital health hub workshop 1",
        body_html="<p>Welcome to the <b>first</b> workshop.</p>",
        start=dt.datetime(2026, 6, 2, 10, 0, tzinfo=LONDON),
        end=dt.datetime(2026, 6, 2, 12, 0, tzinfo=LONDON),
        timezone="Europe/London",
        attendees=(Recipient("Ann Lee", "ann@hub.example"), Recipient("Bo Chan", "bo@hub.example")),
        location="Civic Hall, Room 2",
    )
    base.update(changes)
    return EventSpec(**base)


def as_graph_returns(body: dict) -> dict:
    """What Graph hands back for an event made from `body` (UTC times, an organiser, our property)."""
    start = spec().start.astimezone(dt.UTC)
    end = spec().end.astimezone(dt.UTC)
    return {
        **body,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "organizer": {"emailAddress": {"address": "hubs@council.example"}},
        "isOnlineMeeting": bool(body.get("isOnlineMeeting")),
    }


def test_create_body_matches_the_schema_and_carries_every_invitation_setting() -> None:
    body = create_body(spec(online=True), transaction_id_for("wave-1/workshop-1"))
    validate_body(schema.EVENT_CREATE, body)
    assert body["isOnlineMeeting"] is True
    assert body["onlineMeetingProvider"] == "teamsForBusiness"
    assert body["start"] == {"dateTime": "2026-06-02T10:00:00", "timeZone": "GMT Standard Time"}
    assert body["hideAttendees"] is True and body["responseRequested"] is True
    assert body["allowNewTimeProposals"] is False
    assert [a["type"] for a in body["attendees"]] == ["required", "required"]
    assert body["location"] == {"displayName": "Civic Hall, Room 2"}


def test_o365_style_bodies_are_rejected_before_sending() -> None:
    body = create_body(spec(), "t")
    with pytest.raises(RequestSchemaError, match="isOnlineMeeting"):
        validate_body(schema.EVENT_CREATE, {**body, "isOnlineMeeting": "true"})
    with pytest.raises(RequestSchemaError, match="sendResponse"):
        validate_body(schema.EVENT_CANCEL, {"comment": "sorry", "sendResponse": True})


def test_transaction_ids_are_deterministic_short_and_distinct() -> None:
    first = transaction_id_for("wave-1/workshop-1")
    assert first == transaction_id_for("wave-1/workshop-1")
    assert first != transaction_id_for("wave-1/workshop-2")
    assert len(first) == 36


def test_winter_and_summer_times_are_sent_as_london_wall_clock() -> None:
    def utc(*args: int) -> dt.datetime:
        return dt.datetime(*args, tzinfo=dt.UTC)

    winter = spec(start=utc(2026, 1, 5, 9, 30), end=utc(2026, 1, 5, 11))
    assert create_body(winter, "t")["start"]["dateTime"] == "2026-01-05T09:30:00"
    summer = spec(start=utc(2026, 7, 6, 9, 30), end=utc(2026, 7, 6, 11))
    assert create_body(summer, "t")["start"]["dateTime"] == "2026-07-06T10:30:00"


def test_an_unchanged_event_needs_no_patch() -> None:
    current = as_graph_returns(create_body(spec(), "t"))
    assert patch_body(current, spec()) == {}


def test_a_moved_event_patches_only_its_times() -> None:
    current = as_graph_returns(create_body(spec(), "t"))
    moved = spec(start=spec().start + dt.timedelta(days=7), end=spec().end + dt.timedelta(days=7))
    patch = patch_body(current, moved)
    assert set(patch) == {"start", "end"}
    validate_body(schema.EVENT_PATCH, patch)


def test_attendee_changes_send_the_full_new_list() -> None:
    current = as_graph_returns(create_body(spec(), "t"))
    changed = spec(attendees=(Recipient("Ann Lee", "ANN@hub.example"), Recipient("Cy Dee", "cy@hub.example")))
    patch = patch_body(current, changed)
    assert set(patch) == {"attendees"}
    assert [a["emailAddress"]["address"] for a in patch["attendees"]] == ["ANN@hub.example", "cy@hub.example"]


def test_body_changes_are_detected_by_fingerprint_even_after_exchange_rewrites_html() -> None:
    current = as_graph_returns(create_body(spec(), "t"))
    rewritten = "<html><head></head><body>rewritten + Teams</body></html>"
    current["body"] = {"contentType": "html", "content": rewritten}
    current["singleValueExtendedProperties"] = [
        {"id": BODY_FINGERPRINT_PROPERTY, "value": body_fingerprint(spec().body_html)}
    ]
    assert patch_body(current, spec()) == {}
    patch = patch_body(current, spec(body_html="<p>New agenda</p>"))
    assert set(patch) == {"body", "singleValueExtendedProperties"}


def test_turning_teams_off_is_not_attempted_because_outlook_ignores_it() -> None:
    current = as_graph_returns(create_body(spec(online=True), "t"))
    assert patch_body(current, spec(online=False)) == {}
    assert patch_body(as_graph_returns(create_body(spec(), "t")), spec(online=True)) == {
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
    }


def test_graph_times_with_seven_decimals_and_windows_zones_parse() -> None:
    moment = parse_graph_time({"dateTime": "2026-06-02T09:00:00.0000000", "timeZone": "UTC"})
    assert moment == dt.datetime(2026, 6, 2, 10, 0, tzinfo=LONDON)
    moment = parse_graph_time({"dateTime": "2026-06-02T10:00:00", "timeZone": "GMT Standard Time"})
    assert moment == dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC)


def attendee(address: str, response: str, time: str | None = None) -> dict:
    status = {"response": response} | ({"time": time} if time else {})
    return {"emailAddress": {"address": address}, "status": status}


def test_responses_map_to_our_vocabulary_and_skip_the_organiser() -> None:
    event = {
        "isCancelled": False,
        "organizer": {"emailAddress": {"address": "hubs@council.example"}},
        "attendees": [
            attendee("hubs@council.example", "organizer"),
            attendee("a@x.example", "accepted", "2026-05-01T08:00:00.1234567Z"),
            attendee("b@x.example", "tentativelyAccepted", "2026-05-01T09:00:00Z"),
            attendee("c@x.example", "declined", "2026-05-01T10:00:00Z"),
            attendee("d@x.example", "notResponded", "0001-01-01T00:00:00Z"),
            attendee("e@x.example", "none"),
        ],
    }
    state = event_state("ev1", event)
    assert [(a.email, a.response) for a in state.attendees] == [
        ("a@x.example", "accepted"),
        ("b@x.example", "tentative"),
        ("c@x.example", "declined"),
        ("d@x.example", "none"),
        ("e@x.example", "none"),
    ]
    assert state.attendees[0] == AttendeeResponse(
        "a@x.example", "accepted", dt.datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=dt.UTC)
    )
    assert state.attendees[3].responded_at is None
