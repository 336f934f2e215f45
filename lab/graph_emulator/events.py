"""Calendar events as the organiser's mailbox stores them, and how they look in Graph JSON."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any

from graph_emulator.errors import ServiceError, bad_request
from graph_emulator.htmltext import html_to_text, text_to_html
from graph_emulator.recipients import check_address
from graph_emulator.timezones import iso_utc, parse_wall, to_wall

MAX_ATTENDEES = 500
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")
_NEVER = "0001-01-01T00:00:00Z"  # Graph's "no response yet" time

# Writable event properties this emulator keeps verbatim and echoes back, with Graph's defaults.
_PLAIN_DEFAULTS: dict[str, Any] = {
    "importance": "normal",
    "sensitivity": "normal",
    "showAs": "busy",
    "isAllDay": False,
    "isReminderOn": True,
    "reminderMinutesBeforeStart": 15,
    "allowNewTimeProposals": True,
    "responseRequested": True,
    "hideAttendees": False,
    "categories": [],
}


@dataclass
class Attendee:
    address: str  # lower-cased
    name: str
    type: str = "required"
    response: str = "none"
    responded_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": {
                "response": self.response,
                "time": iso_utc(self.responded_at) if self.responded_at else _NEVER,
            },
            "emailAddress": {"name": self.name, "address": self.address},
        }


@dataclass
class Event:
    id: str
    mailbox: str
    ical_uid: str
    created: dt.datetime
    modified: dt.datetime
    change_key: str
    subject: str
    body_type: str
    body: str
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    start_tz: str
    end_tz: str
    location: str | None
    attendees: list[Attendee]
    transaction_id: str | None = None
    is_online: bool = False
    provider: str = "unknown"
    join_url: str | None = None
    plain: dict[str, Any] = field(default_factory=dict)
    extended: list[dict[str, Any]] = field(default_factory=list)  # singleValueExtendedProperties

    @property
    def hide_attendees(self) -> bool:
        return bool(self.plain.get("hideAttendees"))

    def attendee(self, address: str) -> Attendee | None:
        wanted = address.lower()
        return next((a for a in self.attendees if a.address == wanted), None)

    def body_html(self) -> str:
        return self.body if self.body_type == "html" else text_to_html(self.body)

    def to_json(self, tz: str, body_type: str | None = None) -> dict[str, Any]:
        """Graph's event representation; times in `tz` (from Prefer: outlook.timezone), UTC otherwise."""
        text = html_to_text(self.body) if self.body_type == "html" else self.body
        if body_type == "text":
            body = {"contentType": "text", "content": text}
        else:
            body = {"contentType": "html", "content": self.body_html()}
        location = _location_json(self.location)
        data: dict[str, Any] = {
            "@odata.etag": f'W/"{self.change_key}"',
            "id": self.id,
            "createdDateTime": iso_utc(self.created),
            "lastModifiedDateTime": iso_utc(self.modified),
            "changeKey": self.change_key,
            "transactionId": self.transaction_id,
            "originalStartTimeZone": self.start_tz,
            "originalEndTimeZone": self.end_tz,
            "iCalUId": self.ical_uid,
            "uid": self.ical_uid,
            "hasAttachments": False,
            "subject": self.subject,
            "bodyPreview": text[:255],
            "isCancelled": False,
            "isOrganizer": True,
            "seriesMasterId": None,
            "type": "singleInstance",
            "webLink": f"https://outlook.office365.com/owa/?itemid={self.id}&exvsurl=1&path=/calendar/item",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": self.is_online,
            "onlineMeetingProvider": self.provider,
            "isDraft": False,
            "responseStatus": {"response": "organizer", "time": _NEVER},
            "body": body,
            "start": to_wall(self.start, tz),
            "end": to_wall(self.end, tz),
            "location": location,
            "locations": [location] if self.location else [],
            "recurrence": None,
            "attendees": [a.to_json() for a in self.attendees],
            "organizer": {"emailAddress": {"name": self.mailbox, "address": self.mailbox}},
            "onlineMeeting": {"joinUrl": self.join_url} if self.join_url else None,
        }
        for key, default in _PLAIN_DEFAULTS.items():
            data[key] = self.plain.get(key, default)
        return data


def _location_json(name: str | None) -> dict[str, Any]:
    if not name:
        return {"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": {}}
    return {
        "displayName": name,
        "locationType": "default",
        "uniqueId": name,
        "uniqueIdType": "private",
    }


def read_attendees(raw: list[dict[str, Any]], previous: list[Attendee] | None = None) -> list[Attendee]:
    """Attendees from a request body; people already invited keep their response."""
    if len(raw) > MAX_ATTENDEES:
        raise bad_request("ErrorInvalidRequest", f"An event can have at most {MAX_ATTENDEES} attendees.")
    known = {a.address: a for a in previous or ()}
    result: list[Attendee] = []
    seen: set[str] = set()
    for entry in raw:
        email = (entry.get("emailAddress") or {}).get("address") or ""
        address = check_address(email)
        if address in seen:  # Outlook keeps one entry per address
            continue
        seen.add(address)
        name = (entry.get("emailAddress") or {}).get("name") or email
        kind = str(entry.get("type") or "required")
        kept = known.get(address)
        if kept is not None:
            result.append(Attendee(address, name, kind, kept.response, kept.responded_at))
        else:
            result.append(Attendee(address, name, kind))
    return result


def read_times(body: dict[str, Any], event: Event | None) -> tuple[dt.datetime, dt.datetime, str, str]:
    start_raw = body.get("start") or None
    end_raw = body.get("end") or None
    if event is None and (start_raw is None or end_raw is None):
        raise bad_request("ErrorInvalidRequest", "Start and End must both be specified.")
    start, start_tz = (event.start, event.start_tz) if event else (None, "UTC")
    end, end_tz = (event.end, event.end_tz) if event else (None, "UTC")
    if start_raw is not None:
        start_tz = start_raw.get("timeZone") or "UTC"
        start = parse_wall(start_raw["dateTime"], start_tz)
    if end_raw is not None:
        end_tz = end_raw.get("timeZone") or "UTC"
        end = parse_wall(end_raw["dateTime"], end_tz)
    assert start is not None and end is not None  # both set: from the body or from the event
    if end < start:
        raise ServiceError(
            400,
            "ErrorCalendarEndDateIsEarlierThanStartDate",
            "The end date you entered occurs before the start date.",
        )
    return start, end, start_tz, end_tz


def read_location(body: dict[str, Any]) -> str | None:
    location = body.get("location")
    if location:
        return str(location.get("displayName") or "") or None
    locations = body.get("locations") or []
    if locations:
        return str(locations[0].get("displayName") or "") or None
    return None


def read_body(body: dict[str, Any], default: tuple[str, str]) -> tuple[str, str]:
    item = body.get("body")
    if not item:
        return default
    kind = str(item.get("contentType") or "text").lower()
    return kind, str(item.get("content") or "")


def read_plain(body: dict[str, Any], into: dict[str, Any]) -> None:
    for key in _PLAIN_DEFAULTS:
        if key in body and body[key] is not None:
            into[key] = body[key]


def when_text(event: Event) -> str:
    """'When:' line as Outlook writes it in meeting messages, in the organiser's chosen zone."""
    start = to_wall(event.start, event.start_tz)["dateTime"][:16].replace("T", " ")
    end = to_wall(event.end, event.end_tz)["dateTime"][:16].replace("T", " ")
    return f"{start} – {end} ({event.start_tz})"


def meeting_html(event: Event, lead: str | None = None) -> str:
    parts = []
    if lead:
        parts.append(f"<p>{html.escape(lead)}</p>")
    parts.append(f"<p><b>When:</b> {html.escape(when_text(event))}</p>")
    if event.location:
        parts.append(f"<p><b>Where:</b> {html.escape(event.location)}</p>")
    if event.join_url:
        parts.append(f'<p><a href="{html.escape(event.join_url)}">Join the meeting now</a></p>')
    if not event.hide_attendees and event.attendees:
        names = ", ".join(html.escape(a.address) for a in event.attendees)
        parts.append(f"<p><b>Attendees:</b> {names}</p>")
    parts.append("<hr>")
    parts.append(event.body_html())
    return "<html><body>" + "\n".join(parts) + "</body></html>"
