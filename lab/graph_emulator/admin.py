"""/_emulator/... : lets another process (the demo, a simulation) answer invitations and read mailboxes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from typing import Any

from graph_emulator import events_api, meetings_api
from graph_emulator.faults import Faults
from graph_emulator.httpio import Request, Response
from graph_emulator.state import State


def _error(status: int, message: str) -> Response:
    return Response.json(status, {"error": message})


def handle(state: State, faults: Faults, request: Request, segments: list[str]) -> Response:
    try:
        return _dispatch(state, faults, request, segments)
    except (KeyError, ValueError, TypeError) as problem:
        status = 404 if isinstance(problem, KeyError) else 400
        return _error(status, str(problem.args[0]) if problem.args else type(problem).__name__)


def _body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _dispatch(state: State, faults: Faults, request: Request, segments: list[str]) -> Response:
    method = request.method
    match segments:
        case ["mailboxes"] if method == "GET":
            with state.lock:
                boxes = state.received.all()
            return Response.json(200, {a: [i.to_json() for i in items] for a, items in boxes.items()})
        case ["mailboxes", address] if method == "GET":
            with state.lock:
                items = state.received.of(address)
            return Response.json(200, [i.to_json() for i in items])
        case ["events", mailbox] if method == "GET":
            with state.lock:
                events = [e.to_json("UTC") for e in state.store(mailbox).events.values()]
            return Response.json(200, events)
        case ["events", event_id, "responses"] if method == "POST":
            body = _body(request)
            events_api.set_response(state, str(body["mailbox"]), event_id, str(body["email"]), str(body["response"]))
            return Response.empty(204)
        case ["attendance"] if method == "POST":
            body = _body(request)
            sessions = body["sessions"]
            if not isinstance(sessions, list) or not all(isinstance(s, list) for s in sessions):
                raise ValueError("sessions must be a list of lists of {name, email, seconds}")
            meetings_api.set_attendance(state, str(body["mailbox"]), str(body["event_id"]), sessions)
            return Response.empty(204)
        case ["faults"] if method == "GET":
            return Response.json(200, {**faults.snapshot(), "token_lifetime_s": state.config.token_lifetime_s})
        case ["faults"] if method == "POST":
            body = _body(request)
            faults.configure(body)
            with state.lock:
                if "token_lifetime_s" in body:
                    state.config.token_lifetime_s = float(body["token_lifetime_s"])
                if body.get("expire_tokens"):
                    state.expire_tokens()
            return Response.json(200, {**faults.snapshot(), "token_lifetime_s": state.config.token_lifetime_s})
        case ["apps", client_id] if method == "POST":
            # {"client_secret": "...", "secret_expired": true, "mailboxes": [...], "revoke_tokens": true}
            body = _body(request)
            with state.lock:
                app = state.change_app(
                    client_id,
                    client_secret=str(body["client_secret"]) if "client_secret" in body else None,
                    secret_expired=bool(body["secret_expired"]) if "secret_expired" in body else None,
                    mailboxes=[str(m) for m in body["mailboxes"]] if "mailboxes" in body else None,
                    revoke_tokens=bool(body.get("revoke_tokens", False)),
                )
                shown = {"client_id": app.client_id, "secret_expired": app.secret_expired}
                return Response.json(200, {**shown, "mailboxes": sorted(app.mailboxes)})
        case ["stats"] if method == "GET":
            return Response.json(200, stats(state, faults))
        case ["requests"] if method == "GET":
            with state.lock:
                records = [asdict(r) for r in state.log]
            return Response.json(200, records)
        case ["reset"] if method == "POST":
            faults.clear()
            with state.lock:
                state.reset()
            return Response.empty(204)
    return _error(404, f"no admin endpoint {method} /_emulator/{'/'.join(segments)}")


def stats(state: State, faults: Faults) -> dict[str, Any]:
    with state.lock:
        log = list(state.log)
        events = {m: len(s.events) for m, s in state.stores.items() if s.events}
        messages = {m: len(s.messages) for m, s in state.stores.items() if s.messages}
        received = {a: len(items) for a, items in state.received.all().items()}
    return {
        "requests": len(log),
        "by_status": dict(Counter(str(r.status) for r in log)),
        "sends": sum(1 for r in log if r.is_send),
        "before_retry_after": sum(1 for r in log if r.before_retry_after),
        "faults_injected": sum(1 for r in log if r.fault),
        "events": events,
        "messages": messages,
        "received": received,
        "faults_pending": faults.pending(),
    }
