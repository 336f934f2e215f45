"""Access requests: everything held about one contact, as JSON-ready data and a readable summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rollout.db import models


def _time(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_contact(session: Session, contact: models.Contact) -> dict[str, Any]:
    """The contact, their organisation, invitations (with response history), check-in records, notes they typed,
    and every email still held in the outbox that was addressed to them (with its body, unless retention erased it)."""
    org = contact.organisation
    iv, rc, wk = models.Invitation, models.ResponseChange, models.Workshop
    invitations = []
    for invitation, workshop in session.execute(
        select(iv, wk).join(wk, wk.id == iv.workshop_id).where(iv.contact_id == contact.id).order_by(wk.starts_at)
    ).tuples():
        history = session.scalars(select(rc).where(rc.invitation_id == invitation.id).order_by(rc.recorded_at))
        invitations.append(
            {
                "workshop": workshop.title,
                "wave": workshop.wave_id,
                "starts_at": _time(workshop.starts_at),
                "name": invitation.name,
                "email": invitation.email,
                "status": invitation.status,
                "invited_at": _time(invitation.invited_at),
                "response": invitation.response,
                "responded_at": _time(invitation.responded_at),
                "response_history": [
                    {"response": h.response, "responded_at": _time(h.responded_at), "recorded_at": _time(h.recorded_at)}
                    for h in history
                ],
            }
        )
    uses = session.scalars(
        select(models.CheckinUse).where(models.CheckinUse.contact_id == contact.id).order_by(models.CheckinUse.used_at)
    )
    records = []
    sources: list[tuple[str, type[models.ActionChange] | type[models.HubStageChange]]] = [
        ("action", models.ActionChange),
        ("hub_stage", models.HubStageChange),
    ]
    for table, model in sources:
        by_them = or_(model.changed_by == contact.email, model.changed_by == contact.name)
        rows: list[Any] = list(session.scalars(select(model).where(by_them).order_by(model.changed_at)))
        for row in rows:
            records.append({"record": table, "at": _time(row.changed_at), "source": row.source, "note": row.note})
    hr = models.HubHelpRequest
    for help_request in session.scalars(
        select(hr)
        .where(or_(hr.contact_id == contact.id, hr.requested_by.in_([contact.name, contact.email])))
        .order_by(hr.requested_at)
    ):
        records.append(
            {
                "record": "help_request",
                "at": _time(help_request.requested_at),
                "source": help_request.source,
                "note": help_request.note,
            }
        )
    at = models.Attendance
    attendance = [
        {
            "workshop": title,
            "present": row.present,
            "source": row.source,
            "recorded_at": _time(row.recorded_at),
            "seconds": row.seconds,
        }
        for row, title in session.execute(
            select(at, models.Workshop.title)
            .join(models.Workshop, models.Workshop.id == at.workshop_id)
            .where(at.contact_id == contact.id)
            .order_by(at.recorded_at)
        ).tuples()
    ]
    ob = models.OutboundMessage
    emails = []
    for message in session.scalars(select(ob).order_by(ob.created_at, ob.id)):
        if contact.email not in message.recipients:
            continue
        payload = message.payload or {}
        emails.append(
            {
                "kind": message.kind,
                "purpose": message.purpose,
                "status": message.status,
                "queued_at": _time(message.created_at),
                "sent_at": _time(message.sent_at),
                "subject": payload.get("subject"),
                "text": payload.get("text"),
                "body_erased_by_retention": payload.get("erased", False),
            }
        )
    hub = org.hub
    return {
        "exported_at": _time(dt.datetime.now(dt.UTC)),
        "contact": {
            "name": contact.name,
            "email": contact.email,
            "active": contact.active,
            "emails_stopped_at": _time(contact.mail_opted_out_at),
            "keeps_calendar_invitations": contact.keep_calendar,
            "created_at": _time(contact.created_at),
            "updated_at": _time(contact.updated_at),
        },
        "organisation": {
            "name": org.name,
            "lcp": org.lcp_id,
            "sector": org.sector,
            "roles": sorted(org.roles),
            "hub_stage": hub.stage if hub else None,
        },
        "invitations": invitations,
        "attendance": attendance,
        "checkin_links_used": [
            {"used_at": _time(u.used_at), "subject": u.subject, "transition": u.transition} for u in uses
        ],
        "records": records,
        "emails": emails,
    }


def summary_markdown(data: dict[str, Any]) -> str:
    """The same export in words, for the person who asked."""
    contact, org = data["contact"], data["organisation"]
    lines = [
        f"# What the programme holds about {contact['name']} <{contact['email']}>",
        "",
        f"- Organisation: {org['name']} ({org['lcp']}, {org['sector']}); roles: {', '.join(org['roles']) or 'none'}",
        f"- Active contact: {'yes' if contact['active'] else 'no'}; programme emails stopped: "
        f"{contact['emails_stopped_at'] or 'no'}",
        "",
        f"## Workshop invitations ({len(data['invitations'])})",
        *(
            f"- {i['workshop']} ({i['starts_at']}): {i['status']}, response {i['response']}, "
            f"{len(i['response_history'])} recorded changes"
            for i in data["invitations"]
        ),
        "",
        f"## Check-in links used ({len(data['checkin_links_used'])})",
        *(f"- {u['used_at']}: {u['transition']} ({u['subject']})" for u in data["checkin_links_used"]),
        "",
        f"## Records and notes ({len(data['records'])})",
        *(f"- {r['at']}: {r['record']} via {r['source']}: {r['note'] or '(no note)'}" for r in data["records"]),
        "",
        f"## Emails and invitations sent ({len(data['emails'])})",
        *(
            f"- {e['queued_at']} {e['purpose']} ({e['status']}): "
            f"{'body erased under the retention policy' if e['body_erased_by_retention'] else e['subject']}"
            for e in data["emails"]
        ),
    ]
    return "\n".join(lines) + "\n"
