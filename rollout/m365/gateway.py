"""`O365Gateway`: the `rollout.outbound.gateway.Gateway` for the organiser's mailbox, over Microsoft Graph.

Every operation is idempotent as a whole and is run by retry.run_with_retries, which re-runs it from its
first step after a transient failure (see retry.py for why whole operations, not single requests).
Always `/users/{organiser}/...`: an app-only token has no `/me`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rollout.m365 import schema
from rollout.m365.attendance import MAX_PAGES, attendance_report, first_meeting_id, meeting_filter
from rollout.m365.connection import DEFAULT_TIMEOUT, build_connection
from rollout.m365.events import (
    BODY_FINGERPRINT_PROPERTY,
    EVENT_FIELDS,
    attendee_addresses,
    create_body,
    event_state,
    patch_body,
    transaction_id_for,
)
from rollout.m365.limits import in_flight_semaphore, retry_gate, send_pacer
from rollout.m365.mail import message_id_for, mime_draft_body
from rollout.m365.pipeline import GraphPipeline, GraphResponse, segment
from rollout.m365.redact import install_log_redaction
from rollout.m365.retry import RetryPolicy, run_with_retries
from rollout.m365.settings import GatewaySettings, SecretLoader
from rollout.m365.shared_limits import shared_limits
from rollout.outbound.gateway import (
    AttendanceReport,
    EventSpec,
    EventState,
    Gateway,
    MailSpec,
    NotFoundGraphError,
    PermanentGraphError,
    SystemicGraphError,
    TransientGraphError,
)

log = logging.getLogger("rollout.m365")

T = TypeVar("T")

# Two threads sending with the same idempotency key must not both find "nothing yet" and both create a draft;
# keys are serialised through one of these (striped so that unrelated keys rarely wait for each other).
_KEY_LOCKS = tuple(threading.Lock() for _ in range(64))

ACCESS_CHECK_STANDS_S = 60.0


class O365Gateway:
    def __init__(
        self,
        settings: GatewaySettings,
        *,
        retry_policy: RetryPolicy | None = None,
        pace_window_s: float = 60.0,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        """`pace_window_s` exists for tests: the pace is `settings.send_pace_per_minute` per that window."""
        install_log_redaction()
        self._settings = settings
        connection, service_url = build_connection(settings, timeout)
        self._pipeline = GraphPipeline(
            connection,
            service_url,
            in_flight_semaphore(settings.client_id, settings.max_in_flight),
            send_pacer(settings.organiser, settings.send_pace_per_minute, pace_window_s),
            retry_gate(settings.client_id),
            shared_limits(
                settings.shared_limits, settings.client_id, settings.organiser, settings.send_pace_per_minute
            ),
        )
        self._policy = retry_policy or RetryPolicy()
        self._user = f"users/{segment(settings.organiser)}"
        self._access_checked_at: float | None = None  # time.monotonic() of the last check_access that passed

    @classmethod
    def from_env(
        cls,
        *,
        organiser_fallback: str | None = None,
        secret_loader: SecretLoader | None = None,
        **kwargs: Any,
    ) -> O365Gateway:
        """Settings from ROLLOUT_* variables (see docs/microsoft365.md); `organiser_fallback` is the
        configuration's organiser, used when ROLLOUT_ORGANISER is unset."""
        settings = GatewaySettings.from_env(organiser_fallback=organiser_fallback, secret_loader=secret_loader)
        return cls(settings, **kwargs)

    def __repr__(self) -> str:
        s = self._settings
        return f"O365Gateway(organiser={s.organiser!r}, client_id={s.client_id!r}, graph_url={s.graph_url!r})"

    @property
    def organiser(self) -> str:
        return self._settings.organiser

    def stats(self) -> dict[str, float]:
        """Counters for monitoring and the soak benchmark."""
        p = self._pipeline
        return {
            "requests": p.stats.requests,
            "throttled": p.stats.throttled,
            "retryable": p.stats.retryable,
            "token_acquisitions": p.connection.token_acquisitions,
        }

    def close(self) -> None:
        session = self._pipeline.connection.session
        if session is not None:
            session.close()

    # --- events -------------------------------------------------------------------------------------------

    def create_event(self, spec: EventSpec, transaction_id: str) -> str:
        # Same key -> same transactionId -> Graph hands back the event it already made (no second invitation).
        body = create_body(spec, transaction_id_for(transaction_id))

        def create() -> str:
            response = self._call(
                "POST",
                f"{self._user}/events",
                json_body=body,
                schema=schema.EVENT_CREATE,
                sending=bool(spec.attendees),
            )
            return _id_of(response, "created event")

        return self._run(create, "create_event")

    def update_event(self, event_id: str, spec: EventSpec) -> None:
        def update() -> None:
            current = self._read_event(event_id, EVENT_FIELDS, with_fingerprint=True)
            patch = patch_body(current, spec)
            if not patch:
                return  # already as asked: a re-run sends attendees nothing
            self._call(
                "PATCH",
                self._event_path(event_id),
                json_body=patch,
                schema=schema.EVENT_PATCH,
                sending=bool(spec.attendees) or bool(attendee_addresses(current)),
            )

        self._run(update, "update_event")

    def cancel_event(self, event_id: str, comment: str) -> None:
        def cancel() -> None:
            # Read first, so that a re-run after a lost response does not send a second cancellation.
            try:
                current = self._read_event(event_id, "isCancelled,attendees,organizer")
            except NotFoundGraphError:
                return  # cancelled (Outlook removes it from the organiser's calendar) or deleted
            if current.get("isCancelled"):
                return
            try:
                if attendee_addresses(current):
                    self._call(
                        "POST",
                        f"{self._event_path(event_id)}/cancel",
                        json_body={"comment": comment},
                        schema=schema.EVENT_CANCEL,
                        sending=True,
                    )
                else:
                    # Nobody to notify, and /cancel is for meetings: an appointment is simply deleted.
                    self._call("DELETE", self._event_path(event_id))
            except NotFoundGraphError:
                return

        self._run(cancel, "cancel_event")

    def get_event(self, event_id: str) -> EventState:
        def read() -> EventState:
            return event_state(event_id, self._read_event(event_id, "isCancelled,attendees,organizer,onlineMeeting"))

        return self._run(read, "get_event")

    # --- mail ---------------------------------------------------------------------------------------------

    def send_mail(self, mail: MailSpec, idempotency_key: str, *, first_attempt: bool = False) -> str:
        """Exactly once per key: (1) look the deterministic Message-ID up in the organiser's mailbox: a sent
        copy means done; a draft means a previous attempt stopped before /send. (2) Otherwise create the draft
        from MIME. (3) /send the draft. Any step may lose its response; the retry starts again at (1).

        `first_attempt`: the caller recorded that no call with this key was ever made before (the deliverer
        commits each attempt before calling), so there is nothing to look up the first time round. That halves
        the requests per message (Exchange counts them against the mailbox's limits). Retries still look."""
        if not mail.to:
            raise ValueError("a message needs at least one recipient")
        message_id = message_id_for(idempotency_key, self.organiser)
        look_up = not first_attempt

        def attempt() -> str:
            nonlocal look_up
            look, look_up = look_up, True
            return self._send_once(mail, message_id, look_up=look)

        with _KEY_LOCKS[hash(message_id) % len(_KEY_LOCKS)]:
            return self._run(attempt, "send_mail")

    def _send_once(self, mail: MailSpec, message_id: str, *, look_up: bool) -> str:
        found = self._find_messages(message_id) if look_up else []
        sent = [m for m in found if not m.get("isDraft")]
        if sent:
            return str(sent[0]["id"])
        drafts = [m for m in found if m.get("isDraft")]
        if drafts:
            draft_id = str(drafts[0]["id"])
        else:
            response = self._call(
                "POST",
                f"{self._user}/messages",
                raw_body=mime_draft_body(mail, self.organiser, message_id),
                content_type="text/plain",
            )
            draft_id = _id_of(response, "draft message")
        try:
            self._call("POST", f"{self._user}/messages/{segment(draft_id)}/send", sending=True)
        except PermanentGraphError as error:
            # The draft we just saw is gone (404) or no longer a draft (ErrorInvalidOperation): an earlier
            # /send whose answer was lost, or another worker, submitted it meanwhile. Sending again could
            # only duplicate it, so this counts as sent.
            if not (isinstance(error, NotFoundGraphError) or error.code == "ErrorInvalidOperation"):
                raise
            log.warning("draft %s was submitted meanwhile (%s); not sending again", message_id, error.code)
        # Immutable ids: the sent copy in Sent Items keeps the draft's id.
        return draft_id

    def _find_messages(self, message_id: str) -> list[dict[str, Any]]:
        response = self._call(
            "GET",
            f"{self._user}/messages",
            params={
                "$filter": f"internetMessageId eq '{message_id}'",
                "$select": "id,isDraft,internetMessageId",
            },
        )
        return [m for m in response.value() if isinstance(m, dict) and m.get("id")]

    # --- Teams attendance (OnlineMeetings.Read.All, OnlineMeetingArtifact.Read.All + an application access policy) --

    def find_online_meeting(self, join_url: str) -> str | None:
        def find() -> str | None:
            response = self._call("GET", f"{self._user}/onlineMeetings", params={"$filter": meeting_filter(join_url)})
            return first_meeting_id(response.value())

        return self._run(find, "find_online_meeting")

    def get_attendance_reports(self, meeting_id: str) -> tuple[AttendanceReport, ...]:
        base = f"{self._user}/onlineMeetings/{segment(meeting_id)}/attendanceReports"

        def read() -> tuple[AttendanceReport, ...]:
            reports = []
            for report in self._all_pages(base):
                report_id = str(report.get("id") or "")
                if not report_id:
                    continue
                records = self._all_pages(f"{base}/{segment(report_id)}/attendanceRecords")
                reports.append(attendance_report(report, records))
            return tuple(reports)

        return self._run(read, "get_attendance_reports")

    def _all_pages(self, path: str) -> list[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink (Graph pages attendance records)."""
        items: list[dict[str, Any]] = []
        next_path: str | None = path
        for _ in range(MAX_PAGES):
            if next_path is None:
                return items
            response = self._call("GET", next_path)
            items += [item for item in response.value() if isinstance(item, dict)]
            link = response.body.get("@odata.nextLink")
            next_path = str(link) if link else None
        raise PermanentGraphError(0, "TooManyPages", f"more than {MAX_PAGES} pages at {path}")

    # --- before anything is queued -------------------------------------------------------------------------

    def check_access(self) -> None:
        """A token, then one cheap read of the organiser's calendar (Calendars.ReadWrite covers it; reading the
        user object would need a directory permission the app does not otherwise need). A check that passed
        within ACCESS_CHECK_STANDS_S stands, so a flow's pre-flight and its deliverer's cost one request."""
        checked = self._access_checked_at
        if checked is not None and time.monotonic() - checked < ACCESS_CHECK_STANDS_S:
            return

        def read() -> None:
            self._call("GET", f"{self._user}/calendar", params={"$select": "id"})

        try:
            self._run(read, "check_access")
        except TransientGraphError as error:
            # Nothing is queued yet, so no message can be at fault: the service itself is not answering.
            raise SystemicGraphError(
                error.status,
                error.code,
                str(error),
                cause=f"Microsoft Graph did not answer a read of the organiser mailbox ({error.status} {error.code})",
                fix="Microsoft 365 may be having an outage (see its service health page); run again later",
            ) from None
        self._access_checked_at = time.monotonic()

    # --- plumbing -----------------------------------------------------------------------------------------

    def _event_path(self, event_id: str) -> str:
        return f"{self._user}/events/{segment(event_id)}"

    def _read_event(self, event_id: str, select: str, *, with_fingerprint: bool = False) -> dict[str, Any]:
        params = {"$select": select}
        if with_fingerprint:
            params["$expand"] = f"singleValueExtendedProperties($filter=id eq '{BODY_FINGERPRINT_PROPERTY}')"
        return self._call("GET", self._event_path(event_id), params=params).body

    def _call(self, method: str, path: str, **kwargs: Any) -> GraphResponse:
        return self._pipeline.call(method, path, **kwargs)

    def _run(self, operation: Callable[[], T], name: str) -> T:
        try:
            return run_with_retries(operation, self._policy, name=name)
        except SystemicGraphError:
            self._access_checked_at = None  # whatever was checked no longer holds
            raise


def _id_of(response: GraphResponse, what: str) -> str:
    item_id = response.body.get("id")
    if not item_id:
        raise PermanentGraphError(response.status, "MissingId", f"Graph answered without the {what}'s id")
    return str(item_id)


if TYPE_CHECKING:

    def _implements_the_protocol(gateway: O365Gateway) -> Gateway:
        return gateway  # mypy checks O365Gateway against rollout.outbound.gateway.Gateway here
