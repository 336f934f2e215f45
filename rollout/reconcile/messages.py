"""Emails the reconciler decides to send, before rendering: cheap to decide daily, rendered only when new.

Every message goes to one person, so each carries that person's `contact_id` (None for LCP leads and programme
managers) and the ids of the actions, hub and escalation it is about: one-click check-in links can be added to the
templates without changing what the deciders pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rollout.config.schema import Programme
from rollout.emails import local_when, long_date, render
from rollout.m365.types import MailSpec, Recipient
from rollout.outbox import Intent, mail_payload
from rollout.reconcile.state import ActionRow, Snapshot, WorkshopRow

TEAMS = "Microsoft Teams (the joining link is in your calendar invitation)"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    contact_id: int | None = None  # None: an LCP lead or a programme manager


@dataclass(frozen=True)
class Message:
    key: str
    purpose: str  # reminder | follow_up | action_reminder | action_overdue | escalation
    template: str  # a folder under templates/emails/
    to: Person
    context: dict[str, Any] = field(compare=False, hash=False)
    wave_id: str | None = None
    lcp_id: str | None = None
    workshop_id: int | None = None
    stale_after: dt.datetime | None = None  # the deliverer drops it after this moment

    def render(self) -> Intent:
        email = render(self.template, **self.context)
        mail = MailSpec(
            to=(Recipient(self.to.name, self.to.email),), subject=email.subject, text=email.text, html=email.html
        )
        return Intent(
            key=self.key,
            kind="mail",
            purpose=self.purpose,
            payload=mail_payload(mail),
            recipients=(self.to.email,),
            wave_id=self.wave_id,
            lcp_id=self.lcp_id,
            workshop_id=self.workshop_id,
            stale_after=self.stale_after,
        )


def base_context(programme: Programme, to: Person) -> dict[str, Any]:
    return {
        "programme_name": programme.programme.name,
        "recipient_name": to.name,
        "recipient_email": to.email,
        "contact_id": to.contact_id,
    }


def workshop_context(workshop: WorkshopRow, programme: Programme) -> dict[str, Any]:
    info = programme.programme
    wave_name = next((w.name for w in programme.waves if w.id == workshop.wave_id), workshop.wave_id)
    return {
        "workshop_id": workshop.id,
        "wave_id": workshop.wave_id,
        "wave_name": wave_name,
        "number": workshop.number,
        "title": workshop.title,
        "when": local_when(workshop.starts_at, workshop.ends_at, info.timezone, info.time_label),
        "where": workshop.venue or TEAMS,
        "online": workshop.format == "teams",
    }


def action_context(action: ActionRow, snapshot: Snapshot) -> dict[str, Any]:
    hub = snapshot.hub_by_organisation.get(action.organisation_id) if action.organisation_id else None
    return {
        "id": action.id,
        "key": action.key,
        "title": action.title,
        "due": action.due_date,
        "due_text": long_date(action.due_date),
        "organisation_id": action.organisation_id,
        "hub_id": hub.id if hub else None,
    }


def lead_of(programme: Programme, lcp_id: str) -> Person:
    lead = programme.lcp(lcp_id).lead
    return Person(lead.name, lead.email)


def leads_of(programme: Programme, lcp_id: str) -> list[Person]:
    """The LCP's lead, or nobody when the LCP is no longer in the config."""
    return [lead_of(programme, lcp_id)] if any(lcp.id == lcp_id for lcp in programme.lcps) else []


def owners(action: ActionRow, snapshot: Snapshot, programme: Programme) -> list[Person]:
    """Who is told about an action: the LCP lead, or every active contact of the owning organisation."""
    if action.organisation_id is None:
        return leads_of(programme, action.lcp_id)
    return organisation_people(snapshot, action.organisation_id)


def organisation_people(snapshot: Snapshot, organisation_id: int) -> list[Person]:
    return [Person(c.name, c.email, c.id) for c in snapshot.contacts_by_organisation.get(organisation_id, [])]


def lcp_name(programme: Programme, lcp_id: str) -> str:
    return next((lcp.name for lcp in programme.lcps if lcp.id == lcp_id), lcp_id)
