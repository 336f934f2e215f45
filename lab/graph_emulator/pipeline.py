"""Every request's path through the emulator: authenticate, throttle, inject faults, route, log."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from graph_emulator import admin, entra, graph_routes
from graph_emulator.errors import ServiceError, access_denied, invalid_token
from graph_emulator.faults import FaultAction, Faults
from graph_emulator.graphcall import GraphCall
from graph_emulator.httpio import Request, Response
from graph_emulator.limits import ConcurrencyLimit
from graph_emulator.requestlog import RequestRecord
from graph_emulator.state import App, State

log = logging.getLogger("graph_emulator")

_WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)


@dataclass
class _Trace:
    """What the request log needs, filled in as the request is handled."""

    app: str | None = None
    mailbox: str | None = None
    is_send: bool = False
    committed: bool = False
    before_retry_after: bool = False
    fault: str | None = None


class Pipeline:
    def __init__(self, state: State, faults: Faults, concurrency: ConcurrencyLimit) -> None:
        self.state = state
        self.faults = faults
        self.concurrency = concurrency

    def handle(self, request: Request) -> Response:
        segments = [unquote(s) for s in request.path.split("/")[1:]]
        if segments and segments[0] == "_emulator":
            return admin.handle(self.state, self.faults, request, segments[1:])
        started, trace = time.time(), _Trace()
        request_id = request.header("client-request-id") or str(uuid.uuid4())
        try:
            if segments and segments[0].lower() == "v1.0":
                response = self._graph(request, segments[1:], trace, request_id)
            else:
                response = self._entra(request, segments, trace, request_id)
        except ServiceError as error:
            response = _error_response(error, request_id)
        except Exception:
            # A bug in the emulator must look like a server error to the client, not a dropped connection
            # (which the gateway would treat as a lost response).
            log.exception("emulator failed on %s %s", request.method, request.path)
            response = _error_response(ServiceError(500, "generalException", "Emulator error."), request_id)
        response.headers.setdefault("request-id", request_id)
        response.headers.setdefault("client-request-id", request_id)
        self._log(request, response, trace, started)
        return response

    def _log(self, request: Request, response: Response, trace: _Trace, started: float) -> None:
        retry_after = response.headers.get("Retry-After")
        with self.state.lock:
            if retry_after is not None and trace.app is not None:
                self.state.retry_not_before[trace.app] = time.monotonic() + int(retry_after)
            self.state.log.append(
                RequestRecord(
                    method=request.method,
                    path=request.path,
                    query="&".join(f"{k}={v}" for k, v in request.query.items()),
                    status=0 if response.drop else response.status,
                    started=started,
                    finished=time.time(),
                    app=trace.app,
                    mailbox=trace.mailbox,
                    is_send=trace.is_send,
                    before_retry_after=trace.before_retry_after,
                    retry_after=int(retry_after) if retry_after is not None else None,
                    fault=trace.fault,
                    committed=trace.committed,
                )
            )

    def _with_faults(
        self,
        request: Request,
        paths: tuple[str, ...],
        graph: bool,
        trace: _Trace,
        request_id: str,
        operate: Callable[[], Response],
    ) -> Response:
        fault = self.faults.take(request.method, paths, graph)
        latency = self.faults.latency_ms if graph else 0.0
        if latency > 0:
            time.sleep(latency / 1000.0)  # no lock held: other requests proceed meanwhile
        if fault is not None and not fault.after_commit:
            trace.fault = fault.describe()
            return _fault_response(fault, request_id)
        try:
            response = operate()
        except ServiceError as error:
            response = _error_response(error, request_id)
        if fault is not None:
            trace.fault = fault.describe()
            return _fault_response(fault, request_id)
        return response

    def _graph(self, request: Request, segments: list[str], trace: _Trace, request_id: str) -> Response:
        app = self._authenticate(request)
        trace.app = app.client_id
        with self.state.lock:
            trace.before_retry_after = time.monotonic() < self.state.retry_not_before.get(app.client_id, 0.0)
        self.concurrency.enter(app.client_id)
        try:
            relative = "/" + "/".join(request.path.split("/")[2:])
            return self._with_faults(
                request,
                (relative, request.path),
                True,
                trace,
                request_id,
                lambda: self._route(request, segments, app, trace),
            )
        finally:
            self.concurrency.leave(app.client_id)

    def _route(self, request: Request, segments: list[str], app: App, trace: _Trace) -> Response:
        if segments and segments[0].lower() == "me":
            raise ServiceError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        if len(segments) < 2 or segments[0].lower() != "users":
            raise ServiceError(400, "BadRequest", f"Resource not found for the segment '{(segments or [''])[0]}'.")
        mailbox = segments[1].lower()
        trace.mailbox = mailbox
        if mailbox not in app.mailboxes:
            raise access_denied()
        found = graph_routes.route(request.method, segments[2:])
        if found is None:
            last = segments[-1] if len(segments) > 2 else segments[1]
            raise ServiceError(400, "BadRequest", f"Resource not found for the segment '{last}'.")
        handler, captured = found
        call = GraphCall(request, self.state, app, mailbox, f"{request.base_url}/v1.0")
        try:
            return graph_routes.call_handler(handler, call, captured, segments[2:])
        finally:
            trace.is_send, trace.committed = call.is_send, call.committed

    def _authenticate(self, request: Request) -> App:
        header = request.header("authorization")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            raise invalid_token("Access token is empty.")
        with self.state.lock:
            token = self.state.tokens.get(header[7:].strip())
            if token is None:
                raise invalid_token("IDX14100: JWT is not well formed, there are no dots (.).")
            if token.serial < self.state.valid_from_serial or time.monotonic() >= token.expires_at:
                raise invalid_token("Lifetime validation failed, the token is expired.")
            app = self.state.apps.get(token.client_id)
        if app is None:
            raise invalid_token("Lifetime validation failed, the token is expired.")
        return app

    def _entra(self, request: Request, segments: list[str], trace: _Trace, request_id: str) -> Response:
        def operate() -> Response:
            tail = [s.lower() for s in segments[1:]]
            if segments[:1] == ["common"] and tail == ["discovery", "instance"]:
                return entra.instance_discovery(request)
            if len(segments) < 2 or segments[0].lower() in entra.NOT_TENANTS:
                return Response.json(404, {"error": "not_found", "error_description": "Unknown endpoint."})
            tenant = segments[0]
            if request.method == "GET" and tail == ["v2.0", ".well-known", "openid-configuration"]:
                return entra.openid_configuration(self.state, request, tenant)
            if request.method == "GET" and tail == ["discovery", "v2.0", "keys"]:
                return entra.keys()
            if request.method == "POST" and tail == ["oauth2", "v2.0", "token"]:
                response, app = entra.token(self.state, request, tenant)
                trace.app = app.client_id
                return response
            return Response.json(404, {"error": "not_found", "error_description": "Unknown endpoint."})

        return self._with_faults(request, (request.path,), False, trace, request_id, operate)


def _error_response(error: ServiceError, request_id: str) -> Response:
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if error.status == 401 and error.code == "InvalidAuthenticationToken":
        headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
    return Response.json(error.status, error.body(request_id), headers)


def _fault_response(fault: FaultAction, request_id: str) -> Response:
    if fault.drop:
        return Response(0, drop=True)
    status = fault.status or 503
    error = ServiceError(status, fault.code or "UnknownError", "Injected fault.", fault.retry_after)
    return _error_response(error, request_id)
