"""Who is invited to a workshop: a pure function of the workshop's audience and the partners of its LCPs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rollout.config.schema import Audience, Programme


@dataclass(frozen=True)
class PartnerContact:
    contact_id: int
    name: str
    email: str
    organisation_id: int
    organisation: str
    lcp_id: str
    sector: str
    roles: frozenset[str]
    hub_status: str  # hub | prospective | none
    hub_stage: int | None = None


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str
    lcp_id: str
    contact_id: int | None  # None for an LCP lead


def matches(audience: Audience, partner: PartnerContact) -> bool:
    """Every list the audience gives must match; an empty list matches everyone."""
    return (
        (not audience.sectors or partner.sector in audience.sectors)
        and (not audience.roles or bool(partner.roles & set(audience.roles)))
        and (not audience.hub or partner.hub_status in audience.hub)
    )


def invitees(
    audience: Audience, partners: Iterable[PartnerContact], lcp_ids: Iterable[str], programme: Programme
) -> list[Invitee]:
    """The workshop's attendees for these LCPs: matching partner contacts plus each LCP's lead, once each."""
    wanted = set(lcp_ids)
    chosen: dict[str, Invitee] = {}
    for lcp_id in sorted(wanted):
        lead = programme.lcp(lcp_id).lead
        chosen.setdefault(lead.email, Invitee(lead.email, lead.name, lcp_id, None))
    for partner in sorted(partners, key=lambda p: p.email):
        if partner.lcp_id in wanted and matches(audience, partner):
            chosen.setdefault(partner.email, Invitee(partner.email, partner.name, partner.lcp_id, partner.contact_id))
    return sorted(chosen.values(), key=lambda i: (i.lcp_id, i.email))


def describe(audience: Audience, programme: Programme) -> str:
    """The audience in words, for plans and artifacts."""
    if not (audience.sectors or audience.roles or audience.hub):
        return "all partners"
    parts = []
    if audience.sectors:
        titles = {s.id: s.title for s in programme.sectors}
        parts.append(" or ".join(titles[s] for s in audience.sectors) + " partners")
    if audience.roles:
        titles = {r.id: r.title for r in programme.roles}
        parts.append("playing " + " or ".join(titles[r].lower() for r in audience.roles))
    if audience.hub:
        words = {"hub": "hubs", "prospective": "prospective hubs", "none": "non-hubs"}
        parts.append("who are " + " or ".join(words[h] for h in audience.hub))
    return " ".join(parts) if audience.sectors else "partners " + " ".join(parts)
