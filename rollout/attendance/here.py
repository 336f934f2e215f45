"""The "I'm here" link of a workshop: one signed link per workshop (printed as a QR code in the room), opening a
page where a partner enters their email address to record that they came.

Same security rules as the check-in page (rollout.checkin.app): the link is signed with the check-in secret
(salted differently, so neither kind of token is accepted as the other), served behind the same security headers
and rate limit, GET never records, no cookies or scripts. The link itself is not secret (it hangs on the wall), so
the page checks everything else: it works only on the workshop's local date, for a scheduled workshop, for an
active partner contact, and records each contact once. An unknown address is refused politely, without saying
whether anyone else's address exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rollout import settings
from rollout.attendance.record import contacts_by_email, existing, record
from rollout.checkin.tokens import TokenCodec
from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.outbound.emails import long_date
from rollout.partners.addresses import normalise_email

SALT = "rollout.attendance.here.v1"
PATH = "/here/"
MAX_AGE = dt.timedelta(days=800)  # the date inside the link is what limits it; this only bounds old printouts
MAX_FORM_BYTES = 2048
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{16,100}$")


@dataclass(frozen=True)
class HerePass:
    workshop_id: int
    day: dt.date


def _serializer(codec: TokenCodec) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        [*codec.previous_secrets, codec.secret], salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def issue(codec: TokenCodec, workshop_id: int, day: dt.date) -> str:
    token = _serializer(codec).dumps({"w": int(workshop_id), "d": day.isoformat()})
    return token if isinstance(token, str) else token.decode("ascii")


def verify(codec: TokenCodec, token: str) -> HerePass | None:
    if not _SHAPE.fullmatch(token):
        return None
    try:
        payload = _serializer(codec).loads(token, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:  # tampered, expired or unreadable: all the same to the person in the room
        return None
    if not isinstance(payload, dict) or set(payload) != {"w", "d"} or not isinstance(payload["w"], int):
        return None
    try:
        return HerePass(payload["w"], dt.date.fromisoformat(str(payload["d"])))
    except ValueError:
        return None


def here_url(codec: TokenCodec, workshop: models.Workshop, programme: Programme) -> str:
    day = workshop.starts_at.astimezone(programme.tz).date()
    return f"{settings.checkin_public_url()}{PATH}{issue(codec, workshop.id, day)}"


Outcome = Literal["recorded", "already", "unknown", "closed"]


@dataclass(frozen=True)
class Workshop:
    title: str
    when: str


def open_workshop(session: Session, programme: Programme, claim: HerePass, now: dt.datetime) -> Workshop | None:
    """The workshop, if its link works now: scheduled, and today (local) is its date."""
    workshop = session.get(models.Workshop, claim.workshop_id)
    if workshop is None or workshop.status != "scheduled":
        return None
    day = workshop.starts_at.astimezone(programme.tz).date()
    if day != claim.day or now.astimezone(programme.tz).date() != day:
        return None
    return Workshop(
        f"Workshop {workshop.number}: {workshop.title}", long_date(workshop.starts_at.astimezone(programme.tz))
    )


def check_in(
    sessions: sessionmaker[Session], programme: Programme, claim: HerePass, address: str, now: dt.datetime
) -> tuple[Outcome, str]:
    """Record one contact as present, once. Returns the outcome and the name to greet."""
    try:
        email = normalise_email(address)
    except ValueError:
        return "unknown", ""
    with unit_of_work(sessions) as session:
        if open_workshop(session, programme, claim, now) is None:
            return "closed", ""
        contact = contacts_by_email(session).get(email)
        if contact is None:
            return "unknown", ""
        known = existing(session, claim.workshop_id)
        row = known.get(contact.id)
        if row is not None and row.present:
            return "already", contact.name
        record(
            session, claim.workshop_id, contact.id, present=True, source="checkin", by=contact.name, at=now, known=known
        )
        return "recorded", contact.name


def here_routes(service: object) -> list[Route]:
    """The page's routes, for rollout.checkin.app.create_app (which wraps them in its headers and rate limit)."""
    from rollout.checkin.app import CheckinService

    assert isinstance(service, CheckinService)
    pages = service.pages

    def closed() -> Response:
        return pages.render(
            "here_problem.html",
            status=404,
            title="This check-in is not open",
            message="This link works only on the day of its workshop. If you are at the workshop, please tell the "
            "organiser you are here.",
        )

    async def show(request: Request) -> Response:
        claim = verify(service.codec, request.path_params["token"])
        if claim is None:
            return closed()

        def read() -> Workshop | None:
            with service.sessions() as session:
                return open_workshop(session, service.programme, claim, service.clock())

        workshop = await run_in_threadpool(read)
        if workshop is None:
            return closed()
        return pages.render("here.html", workshop=workshop, message=None)

    async def confirm(request: Request) -> Response:
        claim = verify(service.codec, request.path_params["token"])
        if claim is None:
            return closed()
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if len(body) > MAX_FORM_BYTES or content_type != "application/x-www-form-urlencoded":
            return pages.render("here_problem.html", status=400, title="That did not work", message="Please try again.")
        fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=5)
        address = (fields.get("email") or [""])[0].strip()
        outcome, name = await run_in_threadpool(
            check_in, service.sessions, service.programme, claim, address, service.clock()
        )
        if outcome == "closed":
            return closed()
        if outcome == "unknown":

            def read() -> Workshop | None:
                with service.sessions() as session:
                    return open_workshop(session, service.programme, claim, service.clock())

            workshop = await run_in_threadpool(read)
            message = (
                "Sorry, we could not find that address among the partners we work with. Please check it (use the "
                "address our emails reach you at), or tell the organiser you are here."
            )
            return pages.render("here.html", status=200, workshop=workshop, message=message)
        return pages.render("here_done.html", person=name, already=outcome == "already")

    return [Route(PATH + "{token}", show, methods=["GET"]), Route(PATH + "{token}", confirm, methods=["POST"])]


def workshop_for(session: Session, wave_id: str, number: int) -> models.Workshop | None:
    return session.scalar(
        select(models.Workshop).where(models.Workshop.wave_id == wave_id, models.Workshop.number == number)
    )
