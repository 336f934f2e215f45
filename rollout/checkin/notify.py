"""Tell people about a hub's help request: one outbox email to the LCP lead, copied to the programme managers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from rollout.config import Programme
from rollout.db import models
from rollout.outbound.emails import long_date, render
from rollout.outbound.gateway import MailSpec, Recipient
from rollout.outbound.outbox import Intent, enqueue, mail_payload


def help_request_key(request: models.HubHelpRequest) -> str:
    return f"help-request:{request.id}"


def help_request_context(
    programme: Programme,
    *,
    organisation: str,
    lcp_id: str,
    stage: int,
    stage_since: dt.datetime,
    requested_at: dt.datetime,
    contact_name: str,
    contact_email: str,
    note: str | None,
) -> dict[str, Any]:
    """The `help_requested` template's context (pure)."""
    info, tz = programme.programme, programme.tz
    lcp = next((item for item in programme.lcps if item.id == lcp_id), None)
    title = next((s.title for s in programme.stages if s.number == stage), None)
    asked = requested_at.astimezone(tz)
    return {
        "programme_name": info.name,
        "organisation": organisation,
        "lcp_name": lcp.name if lcp else lcp_id,
        "stage_label": f"{stage}: {title}" if title else str(stage),
        "stage_since": long_date(stage_since.astimezone(tz)),
        "contact_name": contact_name,
        "contact_email": contact_email,
        "requested_at": f"{long_date(asked)}, {asked:%H:%M} ({info.time_label or info.timezone})",
        "note": note or "",
    }


def queue_help_request(
    session: Session,
    programme: Programme,
    request: models.HubHelpRequest,
    hub: models.Hub,
    organisation: models.Organisation,
    contact: models.Contact,
) -> None:
    """Queued in the same transaction as the request: both are stored, or neither."""
    lcp = next((item for item in programme.lcps if item.id == organisation.lcp_id), None)
    managers = tuple(Recipient(m.name, m.email) for m in programme.programme.managers)
    to = (Recipient(lcp.lead.name, lcp.lead.email),) if lcp else managers
    cc = managers if lcp else ()
    rendered = render(
        "help_requested",
        **help_request_context(
            programme,
            organisation=organisation.name,
            lcp_id=organisation.lcp_id,
            stage=request.stage,
            stage_since=request.stage_since,
            requested_at=request.requested_at,
            contact_name=contact.name,
            contact_email=contact.email,
            note=request.note,
        ),
    )
    mail = MailSpec(to=to, cc=cc, subject=rendered.subject, text=rendered.text, html=rendered.html)
    enqueue(
        session,
        [
            Intent(
                key=help_request_key(request),
                kind="mail",
                purpose="help_request",
                payload=mail_payload(mail),
                recipients=tuple(r.email for r in (*to, *cc)),
                lcp_id=organisation.lcp_id,
            )
        ],
        at=request.requested_at,
    )
