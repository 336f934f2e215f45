"""Partners as the pure core sees them, loaded in one query."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.planning.audience import PartnerContact


def active_partner_contacts(
    session: Session, lcp_ids: Iterable[str] | None = None, *, for_calendar: bool = False
) -> list[PartnerContact]:
    """Active contacts; erased ones never. `for_calendar`: those who stopped emails only if they kept invitations."""
    query = (
        select(models.Contact, models.Organisation, models.Hub)
        .join(models.Organisation, models.Contact.organisation_id == models.Organisation.id)
        .outerjoin(models.Hub, models.Hub.organisation_id == models.Organisation.id)
        .where(models.Contact.active.is_(True), models.Contact.erased_at.is_(None))
        .order_by(models.Contact.email)
    )
    if for_calendar:
        stopped = models.Contact.mail_opted_out_at.is_not(None)
        query = query.where(~stopped | models.Contact.keep_calendar.is_(True))
    if lcp_ids is not None:
        query = query.where(models.Organisation.lcp_id.in_(list(lcp_ids)))
    return [
        PartnerContact(
            contact_id=contact.id,
            name=contact.name,
            email=contact.email,
            organisation_id=org.id,
            organisation=org.name,
            lcp_id=org.lcp_id,
            sector=org.sector,
            roles=frozenset(org.roles),
            hub_status="hub" if hub else ("prospective" if org.hub_interest else "none"),
            hub_stage=hub.stage if hub else None,
        )
        for contact, org, hub in session.execute(query).tuples()
    ]
