"""Teams online meetings behind the organiser's online events, and their attendance reports.

Each event created with isOnlineMeeting true has a join URL and so an onlineMeeting (found with
`$filter=JoinWebUrl eq '...'`). Who attended is scripted (GraphEmulator.set_attendance or POST
/_emulator/attendance): one list of records per time the meeting ran. What Graph shows depends on the clock:
before the start no report; while it runs one empty report with no end time; after the end one report per
scripted session (rejoining after the end makes another), records paged with @odata.nextLink.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from graph_emulator import odata
from graph_emulator.errors import ServiceError, not_found
from graph_emulator.events import Event
from graph_emulator.graphcall import GraphCall
from graph_emulator.httpio import Response
from graph_emulator.state import State
from graph_emulator.timezones import iso_utc

SESSION_GAP = dt.timedelta(minutes=10)  # a later session starts this long after the previous one ended


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str | None
    seconds: int


def meeting_id(event: Event) -> str:
    return base64.urlsafe_b64encode(f"MSo{event.id}".encode()).decode().rstrip("=")


def _events_with_meetings(call: GraphCall) -> list[Event]:
    return [e for e in call.state.store(call.mailbox).events.values() if e.join_url]


def _meeting_event(call: GraphCall, meeting: str) -> Event:
    for event in _events_with_meetings(call):
        if meeting_id(event) == meeting:
            return event
    raise ServiceError(404, "NotFound", "Meeting not found.")


def _meeting_json(event: Event) -> dict[str, Any]:
    return {
        "id": meeting_id(event),
        "subject": event.subject,
        "joinWebUrl": event.join_url,
        "startDateTime": iso_utc(event.start),
        "endDateTime": iso_utc(event.end),
        "participants": {"organizer": {"upn": event.mailbox, "role": "presenter"}},
    }


def list_meetings(call: GraphCall) -> Response:
    text = call.query.get("$filter")
    if not text:
        # Graph lists online meetings only by join URL (or videoTeleconferenceId / joinMeetingId).
        raise ServiceError(400, "BadRequest", "Filter expression expected - /onlineMeetings?$filter=JoinWebUrl eq 'x'")
    keep = odata.parse_filter(text)
    with call.state.lock:
        found = [_meeting_json(e) for e in _events_with_meetings(call)]
    found = [m for m in found if keep(m, [])]
    return Response.json(200, {"@odata.context": call.context("onlineMeetings"), "value": found})


def get_meeting(call: GraphCall, meeting: str) -> Response:
    with call.state.lock:
        return Response.json(200, _meeting_json(_meeting_event(call, meeting)))


def _reports(state: State, event: Event) -> list[dict[str, Any]]:
    """The reports visible now, each with its records."""
    now = state.clock()
    if now < event.start:
        return []
    base = meeting_id(event)
    if now < event.end:
        return [_report(f"{base}-live", event.start, None, [])]
    sessions = state.attendance.get((event.mailbox, event.id), [])
    reports = []
    start = event.start
    for n, people in enumerate(sessions):
        end = event.end if n == 0 else start + dt.timedelta(minutes=30)
        if end > now:
            break
        reports.append(_report(f"{base}-{n}", start, end, people))
        start = end + SESSION_GAP
    return reports


def _report(report_id: str, start: dt.datetime, end: dt.datetime | None, people: list[Attendee]) -> dict[str, Any]:
    records = [
        {
            "id": f"{report_id}-r{i}",
            "emailAddress": person.email,
            "totalAttendanceInSeconds": person.seconds,
            "role": "Attendee",
            "identity": {"id": f"{report_id}-u{i}", "displayName": person.name, "tenantId": None},
            "attendanceIntervals": [
                {
                    "joinDateTime": iso_utc(start),
                    "leaveDateTime": iso_utc(start + dt.timedelta(seconds=person.seconds)),
                    "durationInSeconds": person.seconds,
                }
            ],
        }
        for i, person in enumerate(people)
    ]
    return {
        "id": report_id,
        "totalParticipantCount": len(records),
        "meetingStartDateTime": iso_utc(start),
        "meetingEndDateTime": iso_utc(end) if end else None,
        "records": records,
    }


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "records"}


def list_reports(call: GraphCall, meeting: str) -> Response:
    with call.state.lock:
        reports = _reports(call.state, _meeting_event(call, meeting))
    data = odata.page(
        reports,
        _summary,
        call.query,
        call.self_url(),
        call.context(f"onlineMeetings('{meeting}')/attendanceReports"),
        50,  # Graph returns up to the 50 most recent
    )
    return Response.json(200, data)


def _find_report(call: GraphCall, meeting: str, report_id: str) -> dict[str, Any]:
    with call.state.lock:
        reports = _reports(call.state, _meeting_event(call, meeting))
    report = next((r for r in reports if r["id"] == report_id), None)
    if report is None:
        raise not_found("The attendance report was not found.")
    return report


def get_report(call: GraphCall, meeting: str, report_id: str) -> Response:
    return Response.json(200, _summary(_find_report(call, meeting, report_id)))


def list_records(call: GraphCall, meeting: str, report_id: str) -> Response:
    report = _find_report(call, meeting, report_id)
    data = odata.page(
        report["records"],
        lambda r: r,
        call.query,
        call.self_url(),
        call.context(f"onlineMeetings('{meeting}')/attendanceReports('{report_id}')/attendanceRecords"),
        call.state.config.page_size,
    )
    return Response.json(200, data)


def set_attendance(state: State, mailbox: str, event_id: str, sessions: list[list[dict[str, Any]]]) -> None:
    """Script who attended: one list per time the meeting ran, each record {name, email (or None), seconds}."""
    people = [
        [
            Attendee(str(p.get("name") or p.get("email") or "Guest"), _email(p.get("email")), int(p.get("seconds", 0)))
            for p in session
        ]
        for session in sessions
    ]
    with state.lock:
        event = state.store(mailbox).events.get(event_id)
        if event is None:
            raise KeyError(f"no event {event_id!r} in {mailbox}")
        if not event.join_url:
            raise ValueError(f"event {event_id!r} is not an online meeting")
        state.attendance[(mailbox.lower(), event_id)] = people


def _email(value: Any) -> str | None:
    return str(value) if value else None
