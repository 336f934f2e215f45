"""The programme's state as the digest needs it: plain rows, loaded in a few bulk queries, never lazily.

`restricted_to(lcp_ids)` keeps only those LCPs' rows. An LCP lead's digest is computed from a restricted state, so
another LCP's organisations, contacts and actions are not merely hidden from their email: they are never in the data
their figures are computed from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout.db import models


@dataclass(frozen=True)
class OrgRow:
    id: int
    lcp_id: str
    name: str
    roles: tuple[str, ...]
    active_contacts: int

    @property
    def is_partner(self) -> bool:
        """An organisation is a partner while it has at least one active contact."""
        return self.active_contacts > 0


@dataclass(frozen=True)
class HubRow:
    id: int
    organisation_id: int
    lcp_id: str
    stage: int
    stage_since: dt.datetime


@dataclass(frozen=True)
class StageChangeRow:
    hub_id: int
    from_stage: int | None
    to_stage: int
    changed_at: dt.datetime
    changed_by: str
    source: str  # import | cli | checkin: an import records where a hub already was, not a move


@dataclass(frozen=True)
class WorkshopRow:
    id: int
    wave_id: str
    number: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str  # planned | scheduled | cancelled
    event_created: bool


@dataclass(frozen=True)
class InvitationRow:
    workshop_id: int
    lcp_id: str
    name: str
    organisation_id: int | None  # None for an LCP lead
    response: str  # none | accepted | tentative | declined


@dataclass(frozen=True)
class ActionRow:
    id: int
    workshop_id: int
    lcp_id: str
    organisation_id: int | None
    title: str
    owner_role: str
    due_date: dt.date
    status: str  # open | done
    done_at: dt.datetime | None
    done_by: str | None
    overdue_since: dt.date | None = None  # as the reconciler marked it


@dataclass(frozen=True)
class EscalationRow:
    id: int
    hub_id: int
    reason: str
    stalled_since: dt.date
    level: int
    status: str  # open | acknowledged | snoozed  (closed ones are not loaded)
    snoozed_until: dt.date | None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class ProgrammeState:
    """Everything the figures are computed from. `lcp_ids` is the scope: every LCP, or one lead's LCPs."""

    lcp_ids: frozenset[str]
    organisations: tuple[OrgRow, ...]
    hubs: tuple[HubRow, ...]
    recent_stage_changes: tuple[StageChangeRow, ...]  # since the start of the look-back window
    workshops: tuple[WorkshopRow, ...]
    invitations: tuple[InvitationRow, ...]  # current attendees only (status "invited")
    actions: tuple[ActionRow, ...]
    escalations: tuple[EscalationRow, ...]  # not closed
    messages: dict[str, int] = field(default_factory=dict)  # outbox rows by status, whole programme
    opt_outs: tuple[dt.datetime, ...] = ()  # when contacts used "stop emails" (privacy), whole programme

    def restricted_to(self, lcp_ids: Collection[str]) -> ProgrammeState:
        """Only these LCPs' rows; outbox counts (not per LCP) are dropped."""
        keep = frozenset(lcp_ids) & self.lcp_ids
        hubs = tuple(h for h in self.hubs if h.lcp_id in keep)
        hub_ids = {h.id for h in hubs}
        return replace(
            self,
            lcp_ids=keep,
            organisations=tuple(o for o in self.organisations if o.lcp_id in keep),
            hubs=hubs,
            recent_stage_changes=tuple(c for c in self.recent_stage_changes if c.hub_id in hub_ids),
            invitations=tuple(i for i in self.invitations if i.lcp_id in keep),
            actions=tuple(a for a in self.actions if a.lcp_id in keep),
            escalations=tuple(e for e in self.escalations if e.hub_id in hub_ids),
            messages={},
            opt_outs=(),
        )


def load_state(session: Session, lcp_ids: Collection[str], changes_since: dt.datetime) -> ProgrammeState:
    """Read the state in nine queries. `changes_since`: the start of the window hub movements are reported for."""
    active = (
        select(models.Contact.organisation_id, func.count().label("n"))
        .where(models.Contact.active.is_(True))
        .group_by(models.Contact.organisation_id)
        .subquery()
    )
    organisations = tuple(
        OrgRow(org.id, org.lcp_id, org.name, tuple(org.roles or ()), int(n or 0))
        for org, n in session.execute(
            select(models.Organisation, active.c.n)
            .outerjoin(active, active.c.organisation_id == models.Organisation.id)
            .order_by(models.Organisation.lcp_id, models.Organisation.name)
        ).tuples()
    )
    hubs = tuple(
        HubRow(hub.id, hub.organisation_id, lcp_id, hub.stage, hub.stage_since)
        for hub, lcp_id in session.execute(
            select(models.Hub, models.Organisation.lcp_id).join(
                models.Organisation, models.Hub.organisation_id == models.Organisation.id
            )
        ).tuples()
    )
    changes = tuple(
        StageChangeRow(c.hub_id, c.from_stage, c.to_stage, c.changed_at, c.changed_by, c.source)
        for c in session.scalars(
            select(models.HubStageChange)
            .where(models.HubStageChange.changed_at > changes_since)
            .order_by(models.HubStageChange.changed_at, models.HubStageChange.id)
        )
    )
    workshops = tuple(
        WorkshopRow(w.id, w.wave_id, w.number, w.title, w.starts_at, w.ends_at, w.status, w.event_id is not None)
        for w in session.scalars(select(models.Workshop).order_by(models.Workshop.wave_id, models.Workshop.number))
    )
    invitations = tuple(
        InvitationRow(i.workshop_id, i.lcp_id, i.name, organisation_id, i.response)
        for i, organisation_id in session.execute(
            select(models.Invitation, models.Contact.organisation_id)
            .outerjoin(models.Contact, models.Invitation.contact_id == models.Contact.id)
            .where(models.Invitation.status == "invited")
            .order_by(models.Invitation.workshop_id, models.Invitation.lcp_id, models.Invitation.name)
        ).tuples()
    )
    actions = tuple(
        ActionRow(
            a.id,
            a.workshop_id,
            a.lcp_id,
            a.organisation_id,
            a.title,
            a.owner_role,
            a.due_date,
            a.status,
            a.done_at,
            a.done_by,
            a.overdue_since,
        )
        for a in session.scalars(select(models.Action).order_by(models.Action.due_date, models.Action.id))
    )
    escalations = tuple(
        EscalationRow(e.id, e.hub_id, e.reason, e.stalled_since, e.level, e.status, e.snoozed_until, e.created_at)
        for e in session.scalars(
            select(models.Escalation)
            .where(models.Escalation.status != "closed")
            .order_by(models.Escalation.stalled_since, models.Escalation.id)
        )
    )
    messages = {
        status: int(n)
        for status, n in session.execute(
            select(models.OutboundMessage.status, func.count()).group_by(models.OutboundMessage.status)
        ).tuples()
    }
    everything = ProgrammeState(
        lcp_ids=frozenset(lcp_ids) | {o.lcp_id for o in organisations},
        organisations=organisations,
        hubs=hubs,
        recent_stage_changes=changes,
        workshops=workshops,
        invitations=invitations,
        actions=actions,
        escalations=escalations,
        messages=messages,
    )
    ct = models.Contact
    opt_outs = tuple(
        at
        for at in session.scalars(
            select(ct.mail_opted_out_at).where(
                ct.mail_opted_out_at.is_not(None), ct.mail_opted_out_at >= changes_since, ct.erased_at.is_(None)
            )
        )
        if at is not None
    )
    # Rows of an LCP no longer in the config are left out; the outbox counts are programme-wide.
    return replace(everything.restricted_to(lcp_ids), messages=messages, opt_outs=opt_outs)
