"""Which handler serves which /v1.0/users/{mailbox}/... path. Literal segments match case-insensitively."""

from __future__ import annotations

from collections.abc import Callable

from graph_emulator import events_api, meetings_api, messages_api
from graph_emulator.errors import not_found
from graph_emulator.graphcall import GraphCall
from graph_emulator.httpio import Response

Handler = Callable[..., Response]
ANY = "{}"  # one path segment, passed to the handler as an argument

_EVENT_ROUTES: list[tuple[str, tuple[str, ...], Handler]] = [
    ("POST", ("events",), events_api.create),
    ("GET", ("events",), events_api.list_events),
    ("GET", ("calendarview",), events_api.calendar_view),
    ("GET", ("events", ANY), events_api.get),
    ("PATCH", ("events", ANY), events_api.patch),
    ("DELETE", ("events", ANY), events_api.delete),
    ("POST", ("events", ANY, "cancel"), events_api.cancel),
]

ROUTES: list[tuple[str, tuple[str, ...], Handler]] = [
    # The one calendar answers at /events, /calendar/events and /calendars/{its id}/events alike.
    *[
        (method, (*prefix, *pattern), handler)
        for prefix in ((), ("calendar",), ("calendars", ANY))
        for method, pattern, handler in _EVENT_ROUTES
    ],
    ("GET", ("calendar",), events_api.calendar),
    ("GET", ("calendars",), events_api.calendars),
    ("GET", ("calendars", ANY), events_api.calendar),
    ("POST", ("sendmail",), messages_api.send_mail),
    ("POST", ("messages",), messages_api.create_draft),
    ("POST", ("mailfolders", ANY, "messages"), messages_api.create_draft),
    ("GET", ("messages",), messages_api.list_messages),
    ("GET", ("mailfolders", ANY, "messages"), messages_api.list_messages),
    ("GET", ("mailfolders", ANY), messages_api.mail_folder),
    ("GET", ("messages", ANY), messages_api.get),
    ("GET", ("mailfolders", ANY, "messages", ANY), messages_api.get),
    ("PATCH", ("messages", ANY), messages_api.patch),
    ("DELETE", ("messages", ANY), messages_api.delete),
    ("POST", ("messages", ANY, "send"), messages_api.send_draft),
    ("GET", ("onlinemeetings",), meetings_api.list_meetings),
    ("GET", ("onlinemeetings", ANY), meetings_api.get_meeting),
    ("GET", ("onlinemeetings", ANY, "attendancereports"), meetings_api.list_reports),
    ("GET", ("onlinemeetings", ANY, "attendancereports", ANY), meetings_api.get_report),
    ("GET", ("onlinemeetings", ANY, "attendancereports", ANY, "attendancerecords"), meetings_api.list_records),
]


def route(method: str, segments: list[str]) -> tuple[Handler, list[str]] | None:
    """The handler and its captured segments for `segments` (the path after /users/{mailbox})."""
    for route_method, pattern, handler in ROUTES:
        if route_method != method or len(pattern) != len(segments):
            continue
        captured: list[str] = []
        for expected, actual in zip(pattern, segments, strict=True):
            if expected == ANY:
                captured.append(actual)
            elif expected != actual.lower():
                break
        else:
            return handler, captured
    return None


def call_handler(handler: Handler, call: GraphCall, captured: list[str], segments: list[str]) -> Response:
    first = segments[0].lower() if segments else ""
    if first == "calendars" and captured:
        if captured[0] != events_api.CALENDAR_ID:
            raise not_found()
        return handler(call, *captured[1:])
    if first == "mailfolders" and handler is not messages_api.mail_folder:
        folder, rest = captured[0], captured[1:]
        return handler(call, *rest, folder=folder)
    return handler(call, *captured)
