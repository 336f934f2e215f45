"""The one place a Graph request is made.

Every request: body validated against the vendored schema -> (sending? wait for the mailbox's pace, then for its
shared send slot) -> fresh token -> at most N in flight per app (in this process, then on the Prefect
server when limits are shared: shared_limits.py) -> O365's `Connection.oauth_request` (its session carries the token) ->
the response classified into success, `RetryableFailure` (429/5xx/connection trouble: the operation is re-run
by retry.py) or a typed `GraphError` raised at once: `SystemicGraphError` when the app or the organiser mailbox
is refused (systemic.py), `PermanentGraphError` when only this request is.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from rollout.m365.connection import GatewayConnection, transport_failure
from rollout.m365.limits import RetryAfterGate, SendPacer
from rollout.m365.redact import scrub
from rollout.m365.retry import TRANSIENT_STATUSES, RetryableFailure, parse_retry_after
from rollout.m365.schema import validate_body
from rollout.m365.shared_limits import ProcessOnly, SharedLimits
from rollout.m365.systemic import graph_refused
from rollout.outbound.gateway import NotFoundGraphError, PermanentGraphError

log = logging.getLogger("rollout.m365")


def segment(value: str) -> str:
    """Quote one path segment (an id or a mailbox). Graph ids are URL-safe base64 and may end in '='."""
    return quote(value, safe="@.=-_~+")


@dataclass(frozen=True)
class GraphResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    def value(self) -> list[dict[str, Any]]:
        items = self.body.get("value", [])
        return items if isinstance(items, list) else []


@dataclass
class PipelineStats:
    requests: int = 0
    throttled: int = 0  # 429 responses seen
    retryable: int = 0  # every RetryableFailure raised (429, 5xx, connection trouble)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, attr: str) -> None:
        with self._lock:
            setattr(self, attr, getattr(self, attr) + 1)


class GraphPipeline:
    def __init__(
        self,
        connection: GatewayConnection,
        service_url: str,
        in_flight: threading.BoundedSemaphore,
        pacer: SendPacer,
        gate: RetryAfterGate,
        shared: SharedLimits | None = None,
    ) -> None:
        self._connection = connection
        self._service_url = service_url if service_url.endswith("/") else service_url + "/"
        self._in_flight = in_flight
        self._pacer = pacer
        self._gate = gate
        self._shared = shared or ProcessOnly()
        self.stats = PipelineStats()

    @property
    def connection(self) -> GatewayConnection:
        return self._connection

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        schema: str | None = None,
        raw_body: str | None = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
        sending: bool = False,
    ) -> GraphResponse:
        """One request. `sending` marks requests that make Exchange send something (invitations, updates,
        cancellations, mail): they are paced per mailbox. Raises RetryableFailure or a GraphError."""
        if json_body is not None:
            if schema is None:
                raise ValueError("every JSON body is validated: name its schema definition")
            validate_body(schema, json_body)
        if path.startswith("https://") or path.startswith("http://"):
            # An @odata.nextLink: followed only under our own Graph endpoint (the token goes with it).
            if not path.startswith(self._service_url):
                raise PermanentGraphError(0, "ForeignNextLink", f"a next page outside {self._service_url}")
            url = path
        else:
            url = self._service_url + path.lstrip("/")
        pace = self._pacer.slot() if sending else contextlib.nullcontext()
        shared = self._shared.send() if sending else contextlib.nullcontext()
        with pace, shared:
            return self._send(method, url, json_body, raw_body, content_type, params, auth_retry=True)

    def _send(
        self,
        method: str,
        url: str,
        json_body: dict[str, Any] | None,
        raw_body: str | None,
        content_type: str | None,
        params: dict[str, str] | None,
        *,
        auth_retry: bool,
    ) -> GraphResponse:
        connection = self._connection
        connection.ensure_token()
        generation = connection.token_generation
        # O365 looks the content type up under exactly this spelling (and json.dumps()es dict bodies sent
        # as application/json, its default for POST/PATCH).
        headers = {"Content-type": content_type} if content_type else {}
        # Per request, because requests lets REQUESTS_CA_BUNDLE override a session's `verify`.
        kwargs: dict[str, Any] = {"headers": headers, "verify": connection.verify_ssl}
        if params:
            kwargs["params"] = params
        if json_body is not None:
            kwargs["data"] = json_body
        elif raw_body is not None:
            kwargs["data"] = raw_body
        self._gate.wait()
        self.stats.count("requests")
        with self._in_flight, self._shared.request():
            try:
                response = connection.oauth_request(url, method.lower(), **kwargs)
            except requests.RequestException as exc:
                # A dropped connection or a timeout: the request may or may not have been processed.
                failure = transport_failure(exc, f"{method} {path_of(url)}")
                if isinstance(failure, RetryableFailure):
                    self.stats.count("retryable")
                raise failure from None
        status = response.status_code
        if status < 400:
            return GraphResponse(status, _json_or_empty(response))
        code, message = _error_of(response)
        if status == 401 and auth_retry:
            # Token revoked or expired early: one new token, one more try.
            log.info("graph answered 401 %s; acquiring a new token", code)
            connection.force_new_token(generation)
            return self._send(method, url, json_body, raw_body, content_type, params, auth_retry=False)
        if status in TRANSIENT_STATUSES:
            self.stats.count("retryable")
            if status == 429:
                self.stats.count("throttled")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after:
                self._gate.hold(retry_after)
            raise RetryableFailure(status, code, message, retry_after)
        systemic = graph_refused(status, code, message, url)
        if systemic is not None:
            raise systemic  # the app or the organiser mailbox, not this request: every message would meet it
        if status == 404:
            raise NotFoundGraphError(status, code, message)
        raise PermanentGraphError(status, code, message)


def path_of(url: str) -> str:
    return urlsplit(url).path


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_of(response: requests.Response) -> tuple[str, str]:
    """Graph's error code and message, from {"error": {"code", "message"}}; scrubbed of anything secret."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or f"Http{response.status_code}")
        message = str(error.get("message") or response.reason or "")
    else:
        code = f"Http{response.status_code}"
        message = response.text[:300] if response.text else (response.reason or "")
    return code, scrub(message)
