"""Graph's calendar endpoints under /users/{mailbox}: create, read, list, PATCH, cancel, delete."""

from __future__ import annotations

import base64
import datetime as dt
import html
from typing import Any

from graph_emulator import odata
from graph_emulator.delivery import Delivery, Kind
from graph_emulator.errors import ServiceError, not_found
from graph_emulator.events import (
    Attendee,
    Event,
    meeting_html,
    read_attendees,
    read_body,
    read_location,
    read_plain,
    read_times,
)
from graph_emulator.graphcall import GraphCall
from graph_emulator.htmltext import html_to_text
from graph_emulator.httpio import Response
from graph_emulator.schema import validate
from graph_emulator.state import State
from graph_emulator.timezones import parse_query_instant

EVENT_TYPE = "microsoft.graph.event"
# Each mailbox has one calendar here; its id is opaque like Exchange's (and the same in every mailbox).
CALENDAR_ID = base64.urlsafe_b64encode(b"\x00\x01calendar:default").decode()


def _reply(call: GraphCall, status: int, event: Event) -> Response:
    tz = call.timezone()
    data = event.to_json(tz, call.preferences().get("outlook.body-content-type"))
    data = odata.with_extended(data, call.query, event.extended)
    data["@odata.context"] = call.context("events/$entity")
    return Response.json(status, odata.select(data, call.query), _timezone_applied(call))


def _timezone_applied(call: GraphCall) -> dict[str, str]:
    if "outlook.timezone" not in call.preferences():
        return {}
    return {"Preference-Applied": f'outlook.timezone="{call.timezone()}"'}


def _find(call: GraphCall, event_id: str) -> Event:
    event = call.state.store(call.mailbox).events.get(event_id)
    if event is None:
        raise not_found()
    return event


def notify(state: State, event: Event, kind: Kind, recipients: list[Attendee], comment: str | None = None) -> None:
    """One meeting message to each of `recipients`, as Outlook sends on the organiser's behalf."""
    if not recipients:
        return
    subject = f"Canceled: {event.subject}" if kind == "cancellation" else event.subject
    if kind == "cancellation":
        body = f"<html><body><p>{html.escape(comment)}</p></body></html>" if comment else meeting_html(event)
    else:
        body = meeting_html(event, "This meeting has been updated." if kind == "update" else None)
    delivery = Delivery(
        kind=kind,
        subject=subject,
        sender=event.mailbox,
        text=comment if kind == "cancellation" and comment else html_to_text(body),
        html=body,
        internet_message_id=state.ids.internet_message_id(),
        event_id=event.id,
        start=event.start,
        end=event.end,
        location=event.location,
        join_url=event.join_url,
    )
    visible = None if event.hide_attendees else tuple(a.address for a in event.attendees)
    state.deliver(delivery, [a.address for a in recipients], visible)


def create(call: GraphCall) -> Response:
    body = call.body()
    validate(body, "eventCreate", EVENT_TYPE)
    state = call.state
    with state.lock:
        store = state.store(call.mailbox)
        transaction = body.get("transactionId")
        existing = store.events.get(store.transactions.get(transaction, "")) if transaction else None
        if existing is not None:
            return _reply(call, 201, existing)  # a client retry: same event, nothing sent again
        start, end, start_tz, end_tz = read_times(body, None)
        attendees = read_attendees(body.get("attendees") or [])
        body_type, content = read_body(body, ("html", ""))
        now = dt.datetime.now(dt.UTC)
        event = Event(
            id=state.ids.event_id(),
            mailbox=call.mailbox,
            ical_uid=state.ids.uuid(),
            created=now,
            modified=now,
            change_key=state.ids.change_key(),
            subject=str(body.get("subject") or ""),
            body_type=body_type,
            body=content,
            start=start,
            end=end,
            start_tz=start_tz,
            end_tz=end_tz,
            location=read_location(body),
            attendees=attendees,
            transaction_id=transaction,
            extended=odata.merge_extended([], body.get("singleValueExtendedProperties") or []),
        )
        read_plain(body, event.plain)
        _set_online(call, event, body)
        if attendees:
            call.count_send()
        store.events[event.id] = event
        if transaction:
            store.transactions[transaction] = event.id
        call.committed = True
        notify(state, event, "invitation", attendees)
        return _reply(call, 201, event)


def _set_online(call: GraphCall, event: Event, body: dict[str, Any]) -> None:
    if body.get("onlineMeetingProvider"):
        event.provider = str(body["onlineMeetingProvider"])
    if body.get("isOnlineMeeting") is not None:
        event.is_online = bool(body["isOnlineMeeting"])
        if event.is_online and event.provider == "unknown":
            event.provider = "teamsForBusiness"  # the tenant's default provider
    if event.is_online and event.provider.lower() == "teamsforbusiness" and not event.join_url:
        event.join_url = call.state.ids.join_url()
    if not event.is_online:
        event.join_url = None


def get(call: GraphCall, event_id: str) -> Response:
    with call.state.lock:
        return _reply(call, 200, _find(call, event_id))


def _listing(call: GraphCall, events: list[Event], entity_set: str) -> Response:
    tz = call.timezone()
    body_type = call.preferences().get("outlook.body-content-type")
    rendered = [(e, e.to_json(tz, body_type)) for e in events]
    keep = odata.parse_filter(call.query.get("$filter"))
    rendered = [(e, data) for e, data in rendered if keep(data, e.extended)]

    def render(pair: tuple[Event, dict[str, Any]]) -> dict[str, Any]:
        return odata.with_extended(pair[1], call.query, pair[0].extended)

    data = odata.page(
        rendered, render, call.query, call.self_url(), call.context(entity_set), call.state.config.page_size
    )
    return Response.json(200, data, _timezone_applied(call))


def list_events(call: GraphCall) -> Response:
    with call.state.lock:
        return _listing(call, list(call.state.store(call.mailbox).events.values()), "events")


def calendar_view(call: GraphCall) -> Response:
    start_text = call.query.get("startDateTime") or call.query.get("StartDateTime")
    end_text = call.query.get("endDateTime") or call.query.get("EndDateTime")
    if not start_text or not end_text:
        raise ServiceError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and "
            "EndDateTime.",
        )
    window_start, window_end = parse_query_instant(start_text), parse_query_instant(end_text)
    with call.state.lock:
        events = [
            e for e in call.state.store(call.mailbox).events.values() if e.start < window_end and e.end > window_start
        ]
        events.sort(key=lambda e: (e.start, e.created))
        return _listing(call, events, "calendarView")


def patch(call: GraphCall, event_id: str) -> Response:
    body = call.body()
    validate(body, "microsoft.graph.event", EVENT_TYPE)
    state = call.state
    with state.lock:
        event = _find(call, event_id)
        before = {a.address for a in event.attendees}
        attendees = read_attendees(body["attendees"] or [], event.attendees) if "attendees" in body else None
        after = {a.address for a in attendees} if attendees is not None else before
        start, end, start_tz, end_tz = read_times(body, event)
        location = read_location(body) if ("location" in body or "locations" in body) else event.location
        moved = (start, end) != (event.start, event.end)
        relocated = location != event.location
        added = [a for a in attendees or () if a.address not in before]
        removed = [a for a in event.attendees if a.address not in after]
        remaining = [a for a in (attendees if attendees is not None else event.attendees) if a.address in before]
        # Outlook's rules: invite who was added, cancel for who was removed, update everyone else only when
        # the meeting moved in time or place. Subject/body-only edits are saved silently.
        notifies = bool(added or removed or ((moved or relocated) and remaining))
        if notifies:
            call.count_send()
        if "subject" in body:
            event.subject = str(body["subject"] or "")
        event.body_type, event.body = read_body(body, (event.body_type, event.body))
        event.start, event.end, event.start_tz, event.end_tz = start, end, start_tz, end_tz
        event.location = location
        if attendees is not None:
            event.attendees = attendees
        if moved and state.config.reset_responses_on_reschedule:
            for attendee in remaining:
                attendee.response, attendee.responded_at = "none", None
        read_plain(body, event.plain)
        _set_online(call, event, body)
        event.extended = odata.merge_extended(event.extended, body.get("singleValueExtendedProperties") or [])
        event.modified = dt.datetime.now(dt.UTC)
        event.change_key = state.ids.change_key()
        call.committed = True
        notify(state, event, "invitation", added)
        notify(state, event, "cancellation", removed)
        if moved or relocated:
            notify(state, event, "update", remaining)
        return _reply(call, 200, event)


def cancel(call: GraphCall, event_id: str) -> Response:
    body = call.body()
    validate(body, "cancelEventRequest", EVENT_TYPE)
    with call.state.lock:
        event = _find(call, event_id)
        if event.attendees:
            call.count_send()
        del call.state.store(call.mailbox).events[event_id]
        call.committed = True
        notify(call.state, event, "cancellation", event.attendees, body.get("comment"))
    return Response.empty(202)


def delete(call: GraphCall, event_id: str) -> Response:
    with call.state.lock:
        event = _find(call, event_id)
        if event.attendees:
            call.count_send()  # deleting a meeting from the organiser's calendar cancels it for attendees
        del call.state.store(call.mailbox).events[event_id]
        call.committed = True
        notify(call.state, event, "cancellation", event.attendees)
    return Response.empty(204)


def _calendar_json(call: GraphCall) -> dict[str, Any]:
    return {
        "id": CALENDAR_ID,
        "name": "Calendar",
        "color": "auto",
        "isDefaultCalendar": True,
        "canEdit": True,
        "canShare": True,
        "canViewPrivateItems": True,
        "owner": {"name": call.mailbox, "address": call.mailbox},
    }


def calendar(call: GraphCall, calendar_id: str | None = None) -> Response:
    if calendar_id is not None and calendar_id != CALENDAR_ID:
        raise not_found()
    return Response.json(200, {"@odata.context": call.context("calendar/$entity"), **_calendar_json(call)})


def calendars(call: GraphCall) -> Response:
    return Response.json(200, {"@odata.context": call.context("calendars"), "value": [_calendar_json(call)]})


RESPONSE_NAMES = {"accepted", "tentativelyaccepted", "declined", "none", "notresponded"}


def set_response(
    state: State, mailbox: str, event_id: str, attendee: str, response: str, at: dt.datetime | None = None
) -> None:
    """An attendee answers (what their Outlook would report to the organiser's copy), now or `at`."""
    if response.lower() not in RESPONSE_NAMES:
        raise ValueError(f"unknown response {response!r}")
    canonical = {"tentativelyaccepted": "tentativelyAccepted", "notresponded": "notResponded"}.get(
        response.lower(), response.lower()
    )
    with state.lock:
        event = state.store(mailbox).events.get(event_id)
        if event is None:
            raise KeyError(f"no event {event_id!r} in {mailbox}")
        entry = event.attendee(attendee)
        if entry is None:
            raise KeyError(f"{attendee} is not an attendee of {event_id!r}")
        entry.response = canonical
        entry.responded_at = None if canonical == "none" else (at or state.clock()).astimezone(dt.UTC)
        event.change_key = state.ids.change_key()
