"""Emails the reconciler decides to send, before rendering: cheap to decide daily, rendered only when new.

Every message goes to one person, so each carries that person's `contact_id` (None for LCP leads and programme
managers) and the ids of the actions, hub and escalation it is about. A message is rendered once, when it is queued,
and only then are its recipient's one-click check-in links issued (rollout.checkin.email_links).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rollout.checkin.email_links import with_checkin_links
from rollout.checkin.links import Links
from rollout.config.schema import Lcp, Programme
from rollout.outbound.emails import local_when, long_date, render, short_when
from rollout.outbound.gateway import MailSpec, Recipient
from rollout.outbound.intents import Intent, mail_payload
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

    def render_context(self, links: Links | None) -> dict[str, Any]:
        """The template's context: the decider's, with the recipient's check-in links (rollout.checkin), signed by
        `links` (None: links are off)."""
        return with_checkin_links(
            self.context, self.to.contact_id, hub_links=self.purpose == "escalation", issuer=links
        )

    def render(self, links: Links | None) -> Intent:
        # Rendered once, when queued: the check-in links issued here are the ones the recipient gets.
        email = render(self.template, **self.render_context(links))
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
        "programme_short_name": programme.programme.subject_name,
        "recipient_name": to.name,
        "recipient_email": to.email,
        "contact_id": to.contact_id,
        "privacy_url": programme.programme.privacy_url,
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
        "when_short": short_when(workshop.starts_at, info.timezone),
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
        "due_text": _date_text(action.due_date),
        "organisation_id": action.organisation_id,
        "hub_id": hub.id if hub else None,
    }


# long_date of a calendar date, remembered: thousands of actions share a few hundred due dates. Dates only: equal
# aware datetimes can fall on different local days.
_date_text = lru_cache(maxsize=4096)(long_date)


def lead_of(programme: Programme, lcp_id: str) -> Person:
    lead = programme.lcp(lcp_id).lead
    return Person(lead.name, lead.email)


def leads_of(programme: Programme, lcp_id: str) -> list[Person]:
    """The LCP's lead, or nobody when the LCP is no longer in the config."""
    lcp = _lcps(programme).get(lcp_id)
    return [Person(lcp.lead.name, lcp.lead.email)] if lcp is not None else []


def owners(action: ActionRow, snapshot: Snapshot, programme: Programme) -> list[Person]:
    """Who is told about an action: the LCP lead, or every active contact of the owning organisation."""
    if action.organisation_id is None:
        return leads_of(programme, action.lcp_id)
    return organisation_people(snapshot, action.organisation_id)


def organisation_people(snapshot: Snapshot, organisation_id: int) -> list[Person]:
    return [Person(c.name, c.email, c.id) for c in snapshot.contacts_by_organisation.get(organisation_id, [])]


def lcp_name(programme: Programme, lcp_id: str) -> str:
    lcp = _lcps(programme).get(lcp_id)
    return lcp.name if lcp is not None else lcp_id


# The programme's LCPs by id, for the programme last asked about: the deciders look an LCP up for every message, and a
# national programme has a hundred of them. Keyed by identity (a Programme is frozen and not hashable).
_lcp_index: tuple[Programme, dict[str, Lcp]] | None = None


def _lcps(programme: Programme) -> dict[str, Lcp]:
    global _lcp_index
    cached = _lcp_index
    if cached is None or cached[0] is not programme:
        index: dict[str, Lcp] = {}
        for lcp in programme.lcps:
            index.setdefault(lcp.id, lcp)  # the first, as Programme.lcp() finds it
        cached = _lcp_index = (programme, index)
    return cached[1]
