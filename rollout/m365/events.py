"""Event request bodies, built here rather than by O365's Event serialiser.

O365 sends `isOnlineMeeting` as the string "true" and adds an undefined `sendResponse` to cancel; Graph's
schema wants a boolean and no such property. Every body below is plain JSON, checked against the vendored
schema by the pipeline before it leaves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from O365.utils.windows_tz import IANA_TO_WIN, WIN_TO_IANA

from rollout.outbound.gateway import AttendeeResponse, EventSpec, EventState, Response

# transactionId = UUID5 of the caller's key in this namespace: deterministic (a retry or a re-run after a
# crash sends the same value, so Graph returns the event it already created), 36 characters, no personal data.
_TRANSACTION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:rollout:graph:event-transaction")

# A named single-value extended property holding a SHA-256 of the body HTML we last sent. Exchange rewrites
# event bodies (and appends the Teams join block to online meetings), so comparing HTML cannot tell whether
# our body changed; comparing this fingerprint can.
BODY_FINGERPRINT_PROPERTY = "String {8f0b1b0e-5c2d-4c53-9a47-4b1b7e6f3a21} Name RolloutBodySha256"

EVENT_FIELDS = (
    "subject,body,start,end,location,isOnlineMeeting,onlineMeetingProvider,attendees,organizer,"
    "isCancelled,hideAttendees,responseRequested,categories"
)

_RESPONSES: dict[str, Response] = {
    "accepted": "accepted",
    "tentativelyaccepted": "tentative",
    "declined": "declined",
    "none": "none",
    "notresponded": "none",
}


def transaction_id_for(key: str) -> str:
    return str(uuid.uuid5(_TRANSACTION_NAMESPACE, key))


def body_fingerprint(body_html: str) -> str:
    return hashlib.sha256(body_html.encode("utf-8")).hexdigest()


def graph_time_zone(iana: str) -> str:
    """Windows zone name for an IANA one ("Europe/London" -> "GMT Standard Time"). Graph also accepts a list
    of IANA names, but every Exchange method accepts Windows names, so those are what we send."""
    ZoneInfo(iana)  # fail early on a misspelt zone
    return IANA_TO_WIN.get(iana, iana)


def _date_time_time_zone(moment: dt.datetime, iana: str) -> dict[str, str]:
    if moment.tzinfo is None:
        raise ValueError("EventSpec start/end must be timezone-aware")
    local = moment.astimezone(ZoneInfo(iana))
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": graph_time_zone(iana)}


def _attendees(spec: EventSpec) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": r.email, "name": r.name}, "type": "required"} for r in spec.attendees]


def create_body(spec: EventSpec, transaction_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": spec.subject,
        "body": {"contentType": "html", "content": spec.body_html},
        "start": _date_time_time_zone(spec.start, spec.timezone),
        "end": _date_time_time_zone(spec.end, spec.timezone),
        "attendees": _attendees(spec),
        "hideAttendees": spec.hide_attendees,
        "responseRequested": spec.response_requested,
        "allowNewTimeProposals": False,
        "transactionId": transaction_id,
        "singleValueExtendedProperties": [{"id": BODY_FINGERPRINT_PROPERTY, "value": body_fingerprint(spec.body_html)}],
    }
    if spec.location:
        body["location"] = {"displayName": spec.location}
    if spec.online:
        body["isOnlineMeeting"] = True
        body["onlineMeetingProvider"] = "teamsForBusiness"
    if spec.categories:
        body["categories"] = list(spec.categories)
    return body


def patch_body(current: dict[str, Any], spec: EventSpec) -> dict[str, Any]:
    """Only what differs between the event Graph holds and `spec`; {} when they already agree."""
    patch: dict[str, Any] = {}
    if current.get("subject") != spec.subject:
        patch["subject"] = spec.subject
    if not _same_body(current, spec.body_html):
        patch["body"] = {"contentType": "html", "content": spec.body_html}
        patch["singleValueExtendedProperties"] = [
            {"id": BODY_FINGERPRINT_PROPERTY, "value": body_fingerprint(spec.body_html)}
        ]
    for key, moment in (("start", spec.start), ("end", spec.end)):
        if parse_graph_time(current.get(key)) != moment:
            patch[key] = _date_time_time_zone(moment, spec.timezone)
    current_location = ((current.get("location") or {}).get("displayName") or "").strip()
    if current_location != (spec.location or "").strip():
        patch["location"] = {"displayName": spec.location or ""}
    # Outlook ignores isOnlineMeeting going back to false once a Teams meeting exists, so only "turn on" is
    # ever sent; asking for "off" would make every re-run send a pointless update.
    if spec.online and not current.get("isOnlineMeeting"):
        patch["isOnlineMeeting"] = True
        patch["onlineMeetingProvider"] = "teamsForBusiness"
    if attendee_addresses(current) != {r.email.lower() for r in spec.attendees}:
        patch["attendees"] = _attendees(spec)
    if "hideAttendees" in current and bool(current["hideAttendees"]) != spec.hide_attendees:
        patch["hideAttendees"] = spec.hide_attendees
    if "responseRequested" in current and bool(current["responseRequested"]) != spec.response_requested:
        patch["responseRequested"] = spec.response_requested
    if set(current.get("categories") or []) != set(spec.categories):
        patch["categories"] = list(spec.categories)
    return patch


def _same_body(current: dict[str, Any], body_html: str) -> bool:
    for prop in current.get("singleValueExtendedProperties") or []:
        if isinstance(prop, dict) and str(prop.get("id", "")).lower() == BODY_FINGERPRINT_PROPERTY.lower():
            return prop.get("value") == body_fingerprint(body_html)
    # No fingerprint (an event made elsewhere, or a server that drops extended properties): compare the text.
    content = str((current.get("body") or {}).get("content") or "")
    return _text_of(content) == _text_of(body_html)


def _text_of(fragment: str) -> str:
    without_head = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", " ", fragment)
    text = html.unescape(re.sub(r"(?s)<[^>]*>", " ", without_head))
    return " ".join(text.split())


def parse_graph_time(value: Any) -> dt.datetime | None:
    """A Graph dateTimeTimeZone as an aware datetime (Graph answers in UTC unless asked otherwise)."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    text = str(value["dateTime"]).rstrip("Z")
    if "." in text:  # Graph sends seven fractional digits; Python parses at most six
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    naive = dt.datetime.fromisoformat(text)
    return naive.replace(tzinfo=_zone(str(value.get("timeZone") or "UTC")))


def _zone(name: str) -> dt.tzinfo:
    if name.upper() in ("UTC", "ETC/UTC", "GMT"):
        return dt.UTC
    try:
        return ZoneInfo(WIN_TO_IANA.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def organiser_address(event: dict[str, Any]) -> str:
    return str(((event.get("organizer") or {}).get("emailAddress") or {}).get("address") or "").lower()


def attendee_addresses(event: dict[str, Any]) -> set[str]:
    organiser = organiser_address(event)
    addresses = set()
    for attendee in event.get("attendees") or []:
        address = str(((attendee or {}).get("emailAddress") or {}).get("address") or "").lower()
        if address and address != organiser:
            addresses.add(address)
    return addresses


def event_state(event_id: str, event: dict[str, Any]) -> EventState:
    organiser = organiser_address(event)
    responses = []
    for attendee in event.get("attendees") or []:
        address = str(((attendee or {}).get("emailAddress") or {}).get("address") or "")
        status = (attendee or {}).get("status") or {}
        raw = str(status.get("response") or "none").lower()
        if not address or raw == "organizer" or address.lower() == organiser:
            continue
        response = _RESPONSES.get(raw, "none")
        responded_at = _parse_instant(status.get("time")) if response != "none" else None
        responses.append(AttendeeResponse(email=address, response=response, responded_at=responded_at))
    meeting = event.get("onlineMeeting")
    join_url = meeting.get("joinUrl") if isinstance(meeting, dict) else None
    return EventState(
        event_id=event_id,
        is_cancelled=bool(event.get("isCancelled")),
        attendees=tuple(responses),
        join_url=str(join_url) if join_url else None,
    )


def _parse_instant(value: Any) -> dt.datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = re.match(r"\d+", rest)
        frac = digits.group(0) if digits else ""
        text = f"{head}.{frac[:6]}{rest[len(frac) :]}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    # Exchange reports "never responded" as 0001-01-01.
    return None if moment.year <= 1 else moment
