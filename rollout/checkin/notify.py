"""Tell people about a hub's help request: one outbox email to the LCP lead, copied to the programme managers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rollout.config import Programme
from rollout.db import models
from rollout.emails import long_date, render
from rollout.m365.types import MailSpec, Recipient
from rollout.outbox import Intent, enqueue, mail_payload


def help_request_key(request: models.HubHelpRequest) -> str:
    return f"help-request:{request.id}"


def queue_help_request(
    session: Session,
    programme: Programme,
    request: models.HubHelpRequest,
    hub: models.Hub,
    organisation: models.Organisation,
    contact: models.Contact,
) -> None:
    """Queued in the same transaction as the request: both are stored, or neither."""
    info = programme.programme
    lcp = next((item for item in programme.lcps if item.id == organisation.lcp_id), None)
    managers = tuple(Recipient(m.name, m.email) for m in info.managers)
    to = (Recipient(lcp.lead.name, lcp.lead.email),) if lcp else managers
    cc = managers if lcp else ()
    stage = next((s for s in programme.stages if s.number == request.stage), None)
    tz = programme.tz
    rendered = render(
        "help_requested",
        programme_name=info.name,
        organisation=organisation.name,
        lcp_name=lcp.name if lcp else organisation.lcp_id,
        stage_label=f"{request.stage}: {stage.title}" if stage else str(request.stage),
        stage_since=long_date(request.stage_since.astimezone(tz)),
        contact_name=contact.name,
        contact_email=contact.email,
        requested_at=f"{long_date(request.requested_at.astimezone(tz))}, "
        f"{request.requested_at.astimezone(tz):%H:%M} ({info.time_label or info.timezone})",
        note=request.note or "",
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
    )
