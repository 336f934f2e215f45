"""A recording Microsoft 365 gateway in memory: the `Gateway` Protocol for tests of rules and flows that do not test
Graph itself (those use the HTTPS emulator). It keeps what was asked as state, not as mock calls:

    events      every event created, by id: its spec, whether cancelled, attendees' responses
    mails       every mail sent, in order, with its idempotency key
    received    per address, what arrived (invitation, update, cancellation, mail), like a mailbox
    calls       every call, in order, with the operation and its key or event id

It keeps the promises the real gateway makes: the same transactionId never creates a second event, the same
idempotency key never sends a second mail, cancelling a cancelled event is not an error, and an unknown event is
NotFoundGraphError. `fail(...)` makes the next calls of an operation fail (transient or permanent, before or after
the effect); `respond(...)` records an attendee's RSVP as Outlook would.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from rollout.outbound.gateway import (
    AttendanceReport,
    AttendeeResponse,
    EventSpec,
    EventState,
    Gateway,
    GraphError,
    MailSpec,
    NotFoundGraphError,
    PermanentGraphError,
    Response,
    TransientGraphError,
)

Operation = Literal[
    "check_access",
    "create_event",
    "update_event",
    "cancel_event",
    "get_event",
    "send_mail",
    "find_online_meeting",
    "get_attendance_reports",
]
Kind = Literal["invitation", "update", "cancellation", "mail"]


@dataclass
class FakeEvent:
    id: str
    transaction_id: str
    spec: EventSpec
    cancelled: bool = False
    cancel_comment: str | None = None
    responses: dict[str, AttendeeResponse] = field(default_factory=dict)  # by lower-case address
    updates: int = 0

    @property
    def attendees(self) -> list[str]:
        return sorted(a.email.lower() for a in self.spec.attendees)

    @property
    def join_url(self) -> str | None:
        """A Teams meeting's join link, for an online event (what Graph returns as onlineMeeting.joinUrl)."""
        return f"https://teams.example/l/meetup-join/{self.id}" if self.spec.online else None


@dataclass(frozen=True)
class SentMail:
    key: str
    message_id: str
    spec: MailSpec


@dataclass(frozen=True)
class Received:
    kind: Kind
    subject: str
    event_id: str | None = None


@dataclass(frozen=True)
class Call:
    operation: Operation
    target: str  # the transaction id, event id or idempotency key
    outcome: str  # "ok", "repeat" (idempotent no-op) or the error's class name


@dataclass
class _Fault:
    error: GraphError
    times: int
    after_effect: bool  # the call takes effect, then fails (a lost response): the retry must not repeat it


class FakeGateway:
    def __init__(self, organiser: str = "organiser@example.org") -> None:
        self.organiser = organiser
        self.events: dict[str, FakeEvent] = {}
        self.mails: list[SentMail] = []
        self.received: defaultdict[str, list[Received]] = defaultdict(list)
        self.calls: list[Call] = []
        self._by_transaction: dict[str, str] = {}
        self._by_key: dict[str, SentMail] = {}
        self._faults: dict[Operation, list[_Fault]] = defaultdict(list)
        self.attendance: dict[str, tuple[AttendanceReport, ...]] = {}  # Teams reports by join URL (attended())
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # the deliverer may call from several threads

    # --- what a test arranges ---------------------------------------------------------------------------------

    def fail(
        self,
        operation: Operation,
        *,
        transient: bool = True,
        times: int = 1,
        after_effect: bool = False,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        """The next `times` calls of `operation` fail: TransientGraphError (503) or PermanentGraphError (400)."""
        error: GraphError
        if transient:
            error = TransientGraphError(status or 503, code or "ServiceUnavailable", "injected by the test")
        else:
            error = PermanentGraphError(status or 400, code or "ErrorInvalidRecipients", "injected by the test")
        self._faults[operation].append(_Fault(error, times, after_effect))

    def respond(self, event_id: str, email: str, response: Response, at: dt.datetime | None = None) -> None:
        """`email` answers the invitation to `event_id` (as seen by the next get_event)."""
        with self._lock:
            event = self.events[event_id]
            address = email.lower()
            if address not in event.attendees:
                raise AssertionError(f"{email} is not invited to {event.spec.subject!r}")
            event.responses[address] = AttendeeResponse(address, response, at or dt.datetime.now(dt.UTC))

    def attended(self, join_url: str, *reports: AttendanceReport) -> None:
        """The Teams meeting at `join_url` has these attendance reports (none arranged: no meeting is found)."""
        with self._lock:
            self.attendance[join_url] = reports

    # --- what a test reads -------------------------------------------------------------------------------------

    def mailboxes(self) -> dict[str, list[Received]]:
        with self._lock:
            return {address: list(items) for address, items in self.received.items()}

    def live_events(self) -> list[FakeEvent]:
        with self._lock:
            return [e for e in self.events.values() if not e.cancelled]

    def operations(self, operation: Operation) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    # --- the Gateway Protocol ----------------------------------------------------------------------------------

    def create_event(self, spec: EventSpec, transaction_id: str) -> str:
        with self._lock:
            fault = self._fault("create_event", transaction_id)
            existing = self._by_transaction.get(transaction_id)
            if existing is not None:
                self._done("create_event", transaction_id, "repeat", fault)
                return existing
            event_id = f"event-{next(self._ids)}"
            self.events[event_id] = FakeEvent(event_id, transaction_id, spec)
            self._by_transaction[transaction_id] = event_id
            self._deliver("invitation", spec.subject, [a.email for a in spec.attendees], event_id)
            self._done("create_event", transaction_id, "ok", fault)
            return event_id

    def update_event(self, event_id: str, spec: EventSpec) -> None:
        with self._lock:
            fault = self._fault("update_event", event_id)
            event = self._live(event_id, "update_event")
            before, after = set(event.attendees), {a.email.lower() for a in spec.attendees}
            moved = (spec.start, spec.end, spec.location) != (event.spec.start, event.spec.end, event.spec.location)
            if spec != event.spec:
                event.spec, event.updates = spec, event.updates + 1
            self._deliver("invitation", spec.subject, sorted(after - before), event_id)
            self._deliver("cancellation", f"Canceled: {spec.subject}", sorted(before - after), event_id)
            if moved:
                self._deliver("update", spec.subject, sorted(before & after), event_id)
            for gone in before - after:
                event.responses.pop(gone, None)
            self._done("update_event", event_id, "ok", fault)

    def cancel_event(self, event_id: str, comment: str) -> None:
        with self._lock:
            fault = self._fault("cancel_event", event_id)
            event = self.events.get(event_id)
            if event is None or event.cancelled:  # already cancelled or deleted: not an error
                self._done("cancel_event", event_id, "repeat", fault)
                return
            event.cancelled, event.cancel_comment = True, comment
            self._deliver("cancellation", f"Canceled: {event.spec.subject}", event.attendees, event_id)
            self._done("cancel_event", event_id, "ok", fault)

    def get_event(self, event_id: str) -> EventState:
        with self._lock:
            fault = self._fault("get_event", event_id)
            event = self._live(event_id, "get_event")  # Graph no longer has a cancelled event
            responses = tuple(
                event.responses.get(address, AttendeeResponse(address, "none", None)) for address in event.attendees
            )
            self._done("get_event", event_id, "ok", fault)
            return EventState(event_id=event_id, is_cancelled=False, attendees=responses, join_url=event.join_url)

    def send_mail(self, mail: MailSpec, idempotency_key: str, *, first_attempt: bool = False) -> str:
        with self._lock:
            fault = self._fault("send_mail", idempotency_key)
            sent = self._by_key.get(idempotency_key)
            if sent is not None:
                self._done("send_mail", idempotency_key, "repeat", fault)
                return sent.message_id
            sent = SentMail(idempotency_key, f"message-{next(self._ids)}", mail)
            self.mails.append(sent)
            self._by_key[idempotency_key] = sent
            self._deliver("mail", mail.subject, [r.email for r in (*mail.to, *mail.cc)], None)
            self._done("send_mail", idempotency_key, "ok", fault)
            return sent.message_id

    def check_access(self) -> None:
        """The pre-flight read: a fault given with fail("check_access", ...) is the refusal a test wants."""
        with self._lock:
            fault = self._fault("check_access", self.organiser)
            self._done("check_access", self.organiser, "ok", fault)

    def find_online_meeting(self, join_url: str) -> str | None:
        with self._lock:
            fault = self._fault("find_online_meeting", join_url)
            self._done("find_online_meeting", join_url, "ok", fault)
            return join_url if join_url in self.attendance else None  # the join URL stands for the meeting id

    def get_attendance_reports(self, meeting_id: str) -> tuple[AttendanceReport, ...]:
        with self._lock:
            fault = self._fault("get_attendance_reports", meeting_id)
            self._done("get_attendance_reports", meeting_id, "ok", fault)
            return self.attendance.get(meeting_id, ())

    def close(self) -> None:
        """Nothing to close; present because the real gateway has it."""

    # --- inside ----------------------------------------------------------------------------------------------

    def _fault(self, operation: Operation, target: str) -> _Fault | None:
        """The fault this call meets, if any; one that strikes before the effect is raised here."""
        queue = self._faults[operation]
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        if not fault.after_effect:
            self.calls.append(Call(operation, target, type(fault.error).__name__))
            raise fault.error
        return fault

    def _done(self, operation: Operation, target: str, outcome: str, fault: _Fault | None) -> None:
        if fault is not None:  # the effect happened; the caller never hears so
            self.calls.append(Call(operation, target, f"{outcome}, then {type(fault.error).__name__}"))
            raise fault.error
        self.calls.append(Call(operation, target, outcome))

    def _live(self, event_id: str, operation: Operation) -> FakeEvent:
        event = self.events.get(event_id)
        if event is None or event.cancelled:
            self.calls.append(Call(operation, event_id, "NotFoundGraphError"))
            raise NotFoundGraphError(404, "ErrorItemNotFound", f"no event {event_id}")
        return event

    def _deliver(self, kind: Kind, subject: str, addresses: list[str], event_id: str | None) -> None:
        for address in addresses:
            self.received[address.lower()].append(Received(kind, subject, event_id))


def _implements_the_protocol(gateway: FakeGateway) -> Gateway:
    return gateway  # mypy checks FakeGateway against the Protocol here
