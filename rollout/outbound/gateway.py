"""What the rest of rollout says to Microsoft 365, in plain data. Nothing here imports O365 or msal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from rollout.errors import SystemicError, rebuild_error


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str


@dataclass(frozen=True)
class EventSpec:
    """A workshop as a calendar event in the organiser's mailbox. start/end are tz-aware."""

    subject: str
    body_html: str
    start: dt.datetime
    end: dt.datetime
    timezone: str  # IANA name, e.g. Europe/London; sent to Graph as its Windows equivalent where needed
    attendees: tuple[Recipient, ...]
    location: str | None = None
    online: bool = False  # Teams meeting
    hide_attendees: bool = True
    response_requested: bool = True
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class MailSpec:
    to: tuple[Recipient, ...]
    subject: str
    text: str
    html: str
    cc: tuple[Recipient, ...] = ()


Response = Literal["none", "accepted", "tentative", "declined"]


@dataclass(frozen=True)
class AttendeeResponse:
    email: str
    response: Response
    responded_at: dt.datetime | None


@dataclass(frozen=True)
class EventState:
    event_id: str
    is_cancelled: bool
    attendees: tuple[AttendeeResponse, ...] = field(default_factory=tuple)
    join_url: str | None = None  # the Teams meeting's join link, for an online event


@dataclass(frozen=True)
class AttendanceRecord:
    """One person in a Teams attendance report. Guests and phone callers may have no address."""

    name: str
    email: str | None
    seconds: int


@dataclass(frozen=True)
class AttendanceReport:
    """One attendance report of an online meeting (each time it ran: rejoining after it ended makes another).
    `ended` False: the meeting is in progress and the report is still empty."""

    report_id: str
    ended: bool
    records: tuple[AttendanceRecord, ...] = ()


class GraphError(Exception):
    """A failure Microsoft Graph reported. `code` is Graph's error code (e.g. ErrorInvalidRecipients)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        super().__init__(f"Graph {status} {code}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (rebuild_error, (type(self), self.args, dict(self.__dict__)))


class PermanentGraphError(GraphError):
    """This message can never be delivered as it is: a recipient Exchange refuses, a body too large, a bad
    request. Only this row fails; the rest of the outbox goes on."""


class SystemicGraphError(GraphError, SystemicError):
    """Microsoft 365 refuses the app itself, so every message would fail the same way: the token request is
    refused (wrong or expired secret, invalid certificate, unknown app or tenant), the organiser mailbox is missing
    or closed to the app, Graph's TLS certificate cannot be verified, or the tenant throttles longer than a run
    waits. The deliverer stops and leaves every unsent row pending. `cause` says what is wrong, `fix` what to do."""

    def __init__(self, status: int, code: str, message: str, *, cause: str, fix: str) -> None:
        super().__init__(status, code, message)
        self.cause = cause
        self.fix = fix


class TransientGraphError(GraphError):
    """Throttling, outage or dropped connection that outlasted the gateway's own retries."""


class NotFoundGraphError(PermanentGraphError):
    """The item does not exist (or no longer exists)."""


class Gateway(Protocol):
    """The only door to Microsoft 365. Every method is safe to call again after a crash or a retry."""

    def create_event(self, spec: EventSpec, transaction_id: str) -> str:
        """Create the event and send invitations; the same transaction_id never makes a second event.
        Returns the Graph event id."""
        ...

    def update_event(self, event_id: str, spec: EventSpec) -> None:
        """PATCH time, location, body and attendees to match `spec`; Outlook notifies attendees as it does."""
        ...

    def cancel_event(self, event_id: str, comment: str) -> None:
        """Cancel and notify attendees; cancelling an already cancelled or deleted event is not an error."""
        ...

    def get_event(self, event_id: str) -> EventState:
        """The event's cancellation state and every attendee's response (all pages)."""
        ...

    def send_mail(self, mail: MailSpec, idempotency_key: str, *, first_attempt: bool = False) -> str:
        """Send exactly once per key across crashes and retries; returns the sent message's id.
        `first_attempt`: no call with this key was ever made before (nothing sent to look for)."""
        ...

    def find_online_meeting(self, join_url: str) -> str | None:
        """The organiser's onlineMeeting id behind a Teams join link (None: no such meeting). A read."""
        ...

    def get_attendance_reports(self, meeting_id: str) -> tuple[AttendanceReport, ...]:
        """Every attendance report of the meeting with all its records (every page). Empty before it ends."""
        ...

    def check_access(self) -> None:
        """Confirm, before anything is queued or sent, that the app gets a token and can reach the organiser's
        mailbox (one cheap read). Raises SystemicGraphError naming the cause and the fix when it cannot."""
        ...

    def close(self) -> None:
        """Let go of connections; the gateway is not used after this."""
        ...
