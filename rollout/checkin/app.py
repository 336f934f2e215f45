"""The check-in page: `GET /c/{token}` says what will be recorded; `POST /c/{token}` records it, once.

GET never records anything: mail scanners and link prefetchers follow GETs. The page has no JavaScript, no login
and no cookies. Why there is no CSRF token: the only credential is the unguessable, signed token in the URL path;
no cookie or other ambient authority exists for a cross-site form to borrow, so a forged POST succeeds only if its
author already holds the link, and then they could simply use it. (SameSite is irrelevant for the same reason.)
The CSP's `form-action 'self'` and `frame-ancestors 'none'` stop the page being framed or its form redirected.

Layers, outermost first: security headers on every response (errors and 429 included), then the per-client rate
limit, then the Starlette routes. Database work runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rollout import settings
from rollout.attendance.here import here_routes
from rollout.checkin import records
from rollout.checkin.tokens import Claim, TokenCodec, TokenFailure
from rollout.config import Programme
from rollout.db.types import utcnow
from rollout.outbound.emails import long_date

log = logging.getLogger("rollout.checkin")

MAX_BODY_BYTES = 16 * 1024
MAX_FORM_FIELDS = 20  # the form posts one field; a few more from browser extensions are tolerated
BODY_TIMEOUT_SECONDS = 15.0  # a client that starts a body must finish it: slow bodies hold a connection

FAILURE_PAGES: dict[str, tuple[int, str, str]] = {
    "malformed": (400, "This is not a working check-in link", "Please check you copied the whole link from the email."),
    "tampered": (400, "This link has been changed", "It does not match the link we sent, so it cannot be used."),
    "expired": (
        410,
        "This link has expired",
        "Check-in links work for a limited time. The next email from the programme will have a new one.",
    ),
}


@dataclass(frozen=True)
class CheckinService:
    """What the page needs: the database, the programme, the token codec and a clock for record times."""

    sessions: sessionmaker[Session]
    programme: Programme
    codec: TokenCodec
    clock: Callable[[], dt.datetime] = utcnow

    @cached_property
    def pages(self) -> Pages:
        return Pages(self.programme)


class Pages:
    """The HTML pages, rendered with autoescape on: everything echoed (names, titles, notes) is escaped."""

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.env = Environment(
            loader=PackageLoader("rollout.templates", "checkin"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.css = resources.files("rollout.templates").joinpath("checkin", "style.css").read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(self.css.encode("utf-8")).digest()).decode("ascii")
        self.style_hash = f"'sha256-{digest}'"

    def render(self, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Response:
        # The stylesheet is our own file, inserted verbatim: its hash is in the CSP.
        css = Markup(self.css)  # noqa: S704
        html = self.env.get_template(name).render(programme_name=self.programme.programme.name, css=css, **context)
        return HTMLResponse(html, status_code=status, headers=headers)

    def problem(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
        return self.render("problem.html", status=status, headers=headers, title=title, message=message)

    def local_time(self, at: dt.datetime) -> str:
        info = self.programme.programme
        local = at.astimezone(self.programme.tz)
        return f"at {local:%H:%M} on {long_date(local)} ({info.time_label or info.timezone})"


def create_app(
    service: CheckinService,
    *,
    rate_limit: tuple[int, int] | None = None,
    trusted_proxies: int | None = None,
) -> ASGIApp:
    """The ASGI app uvicorn serves. Limits default to ROLLOUT_CHECKIN_RATE_LIMIT and ROLLOUT_TRUST_PROXY."""
    pages = service.pages

    async def show(request: Request) -> Response:
        claim = _verified(service, request)
        if not isinstance(claim, Claim):
            return claim

        def read() -> records.Proposal | records.Refusal:
            with service.sessions() as session:
                return records.preview(session, service.programme, claim)

        outcome = await run_in_threadpool(read)
        if isinstance(outcome, records.Refusal):
            return pages.problem(outcome.status, outcome.title, outcome.message)
        return pages.render("confirm.html", proposal=outcome, note_max_length=records.NOTE_MAX_LENGTH)

    async def confirm(request: Request) -> Response:
        claim = _verified(service, request)
        if not isinstance(claim, Claim):
            return claim
        note = await _note(request, pages)
        if isinstance(note, Response):
            return note
        at = service.clock()
        keep_calendar = getattr(request.state, "keep_calendar", False)
        outcome = await run_in_threadpool(
            lambda: records.apply(service.sessions, service.programme, claim, note, at, keep_calendar=keep_calendar)
        )
        if isinstance(outcome, records.Refusal):
            log.info(
                "check-in refused (%s): %s %s, contact %s",
                outcome.reason,
                claim.transition,
                claim.subject,
                claim.contact_id,
            )
            return pages.problem(outcome.status, outcome.title, outcome.message)
        log.info(
            "check-in recorded: %s %s by contact %s (token id %s)",
            claim.transition,
            claim.subject,
            claim.contact_id,
            claim.token_id,
        )
        who = next(value for label, value in outcome.proposal.details if label == "Recorded as")
        return pages.render("done.html", recorded=outcome, when=pages.local_time(outcome.at), who=who)

    async def healthz(request: Request) -> Response:
        def ping() -> None:
            with service.sessions() as session:
                session.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except Exception:
            log.exception("health check: database unavailable")
            return PlainTextResponse("database unavailable\n", status_code=503)
        return PlainTextResponse("ok\n")

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 405:
            return pages.problem(405, "Not allowed", "This page only opens links from our emails.")
        return pages.problem(status, "Page not found", "Please check you copied the whole link from the email.")

    async def server_error(request: Request, exc: Exception) -> Response:
        return pages.problem(500, "Something went wrong", "Nothing was recorded. Please try again later.")

    routes = [
        Route("/c/{token}", show, methods=["GET"]),
        Route("/c/{token}", confirm, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        *here_routes(service),  # the workshops' "I'm here" page (rollout.attendance.here)
    ]
    starlette = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    requests, seconds = rate_limit or settings.checkin_rate_limit()
    proxies = settings.checkin_trusted_proxies() if trusted_proxies is None else trusted_proxies
    limited = RateLimit(starlette, pages, requests=requests, seconds=seconds, trusted_proxies=proxies)
    return SecurityHeaders(limited, style_hash=pages.style_hash)


def _verified(service: CheckinService, request: Request) -> Claim | Response:
    verified: Claim | TokenFailure = service.codec.verify(request.path_params["token"])
    if isinstance(verified, TokenFailure):
        status, title, message = FAILURE_PAGES[verified.reason]
        log.info("check-in link refused: %s (%s)", verified.reason, verified.detail)
        return service.pages.problem(status, title, message)
    return verified


async def _note(request: Request, pages: Pages) -> str | Response | None:
    """The optional note from the urlencoded form body (the only thing the page posts)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return pages.problem(413, "Too much was sent", "Please shorten your note and try again. Nothing was recorded.")
    body = b""
    try:
        async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return pages.problem(
                        413, "Too much was sent", "Please shorten your note and try again. Nothing was recorded."
                    )
    except TimeoutError:
        return pages.problem(408, "This took too long", "Please try again. Nothing was recorded.")
    if not body:
        return None
    if content_type != "application/x-www-form-urlencoded":
        return pages.problem(415, "This was not sent from the check-in page", "Nothing was recorded.")
    try:
        text = body.decode("utf-8", errors="replace")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # more fields than the limit: not our form
        return pages.problem(400, "This was not sent from the check-in page", "Nothing was recorded.")
    note = (fields.get("note") or [""])[0]
    request.state.keep_calendar = (fields.get("keep_calendar") or [""])[0] == "yes"  # the stop-emails page only
    if len(note.strip()) > records.NOTE_MAX_LENGTH:
        return pages.problem(
            400,
            "Your note is too long",
            f"Please go back, shorten it to {records.NOTE_MAX_LENGTH} characters and confirm again. "
            "Nothing was recorded.",
        )
    return note


class SecurityHeaders:
    """Every response gets the same strict headers; tokens are in URLs, so no referrer and no caching."""

    def __init__(self, app: ASGIApp, style_hash: str) -> None:
        self.app = app
        csp = f"default-src 'none'; style-src {style_hash}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        self.headers = [
            (b"content-security-policy", csp.encode("ascii")),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cache-control", b"no-store"),
            (b"x-robots-tag", b"noindex, nofollow"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimit:
    """At most `requests` per `seconds` from one client (sliding window, in memory, per process).

    The client is the connecting address, or with `trusted_proxies` = N (ROLLOUT_TRUST_PROXY) the address the N-th
    proxy saw, read from the right of X-Forwarded-For: entries further left are whatever the client claimed.
    /healthz is not limited.
    """

    MAX_CLIENTS = 10_000

    def __init__(
        self,
        app: ASGIApp,
        pages: Pages,
        *,
        requests: int,
        seconds: int,
        trusted_proxies: int = 0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app, self.pages = app, pages
        self.requests, self.seconds, self.trusted_proxies, self.now = requests, seconds, trusted_proxies, now
        self.hits: OrderedDict[str, deque[float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        retry_after = self.check(client_address(scope, self.trusted_proxies))
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        response = self.pages.problem(
            429,
            "Too many requests",
            f"Please wait {retry_after} seconds and try again.",
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)

    def check(self, client: str) -> int | None:
        """None when the request may go ahead (and it is counted); else the seconds until it may."""
        now = self.now()
        hits = self.hits.get(client)
        if hits is None:
            hits = self.hits[client] = deque()
            self._forget_idle(now)
        else:
            self.hits.move_to_end(client)
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.requests:
            return max(1, math.ceil(hits[0] + self.seconds - now))
        hits.append(now)
        return None

    def _forget_idle(self, now: float) -> None:
        """Keep memory bounded: drop clients idle for a whole window, then the least recently seen."""
        if len(self.hits) <= self.MAX_CLIENTS:
            return
        for client in [c for c, hits in self.hits.items() if not hits or hits[-1] <= now - self.seconds]:
            del self.hits[client]
        while len(self.hits) > self.MAX_CLIENTS:
            self.hits.popitem(last=False)


def client_address(scope: Scope, trusted_proxies: int) -> str:
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    if trusted_proxies <= 0:
        return address
    forwarded: list[str] = []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded += [item.strip() for item in value.decode("latin-1").split(",") if item.strip()]
    chain = [*forwarded, address]
    return chain[-(trusted_proxies + 1)] if len(chain) > trusted_proxies else chain[0]
