"""The reconciler's view of the database: one snapshot, loaded in a fixed number of bulk queries.

The number of statements does not grow with the number of partners, hubs, actions or escalations: every table is
read with one query (plain column tuples, no lazy loading), and the deciders work on these frozen rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rollout.db import models

# Invitations are loaded for workshops that started at most this long ago (follow-ups need who was invited) or
# have not happened yet (reminders). A follow-up window longer than this would not see its invitees.
RECENT_DAYS = 120

# What the reconciler queues; only these rows can be superseded by it.
PURPOSES = ("reminder", "follow_up", "action_reminder", "action_overdue", "escalation")


@dataclass(frozen=True)
class WorkshopRow:
    id: int
    wave_id: str
    number: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    format: str
    venue: str | None
    status: str  # planned | scheduled | cancelled
    event_id: str | None


@dataclass(frozen=True)
class InvitationRow:
    id: int
    workshop_id: int
    email: str
    name: str
    lcp_id: str
    contact_id: int | None  # None for an LCP lead
    organisation_id: int | None
    response: str  # none | accepted | tentative | declined


@dataclass(frozen=True)
class OrganisationRow:
    id: int
    lcp_id: str
    name: str
    sector: str
    hub_interest: bool


@dataclass(frozen=True)
class ContactRow:
    id: int
    organisation_id: int
    name: str
    email: str


@dataclass(frozen=True)
class HubRow:
    id: int
    organisation_id: int
    stage: int
    stage_since: dt.datetime


@dataclass(frozen=True)
class ActionRow:
    id: int
    key: str
    workshop_id: int
    lcp_id: str
    organisation_id: int | None  # None: the LCP lead owns it
    title: str
    owner_role: str
    due_date: dt.date
    status: str  # open | done
    overdue_since: dt.date | None


@dataclass(frozen=True)
class EscalationRow:
    id: int
    hub_id: int
    reason: str  # no_progress | overdue_actions
    stalled_since: dt.date
    level: int
    status: str  # open | acknowledged | snoozed | closed
    snoozed_until: dt.date | None
    notified: frozenset[int] = frozenset()  # levels already notified

    @property
    def active(self) -> bool:
        return self.status != "closed"


@dataclass(frozen=True)
class PendingMessage:
    id: int
    key: str
    purpose: str


@dataclass
class Snapshot:
    as_of: dt.datetime
    workshops: dict[int, WorkshopRow]
    invitations: tuple[InvitationRow, ...]
    organisations: dict[int, OrganisationRow]
    contacts: tuple[ContactRow, ...]  # active contacts only
    hubs: dict[int, HubRow]
    actions: dict[int, ActionRow]  # every open action, and every action of a recent workshop
    escalations: tuple[EscalationRow, ...]  # all of them, closed too (a stall is never opened twice)
    pending: tuple[PendingMessage, ...] = field(default=())  # reconciler messages not yet delivered

    @cached_property
    def invitations_by_workshop(self) -> dict[int, list[InvitationRow]]:
        return _group(self.invitations, lambda i: i.workshop_id)

    @cached_property
    def contacts_by_organisation(self) -> dict[int, list[ContactRow]]:
        return _group(self.contacts, lambda c: c.organisation_id)

    @cached_property
    def hub_by_organisation(self) -> dict[int, HubRow]:
        return {hub.organisation_id: hub for hub in self.hubs.values()}

    @cached_property
    def action_keys(self) -> frozenset[str]:
        return frozenset(a.key for a in self.actions.values())

    @cached_property
    def actions_by_workshop(self) -> dict[int, list[ActionRow]]:
        return _group(self.actions.values(), lambda a: a.workshop_id)

    @cached_property
    def open_actions_by_organisation(self) -> dict[int, list[ActionRow]]:
        return _group(
            (a for a in self.actions.values() if a.status == "open" and a.organisation_id is not None),
            lambda a: a.organisation_id or 0,
        )

    @cached_property
    def active_escalations(self) -> list[EscalationRow]:
        return [e for e in self.escalations if e.active]

    def organisations_in(self, lcp_id: str) -> list[OrganisationRow]:
        return [o for o in self.organisations.values() if o.lcp_id == lcp_id]


K = TypeVar("K")
V = TypeVar("V")


def _group(items: Iterable[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    grouped: dict[K, list[V]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return dict(grouped)


def load_snapshot(session: Session, as_of: dt.datetime) -> Snapshot:
    """Nine SELECTs, whatever the size of the programme."""
    Wk, Iv, Ct, Og, Hb, Ac, Es, Nt, Ob = (
        models.Workshop,
        models.Invitation,
        models.Contact,
        models.Organisation,
        models.Hub,
        models.Action,
        models.Escalation,
        models.EscalationNotice,
        models.OutboundMessage,
    )
    recent = select(Wk.id).where(Wk.starts_at >= as_of - dt.timedelta(days=RECENT_DAYS)).scalar_subquery()

    workshops = {
        row.id: row
        for row in (
            WorkshopRow(*t)
            for t in session.execute(
                select(
                    Wk.id,
                    Wk.wave_id,
                    Wk.number,
                    Wk.title,
                    Wk.starts_at,
                    Wk.ends_at,
                    Wk.format,
                    Wk.venue,
                    Wk.status,
                    Wk.event_id,
                )
            ).tuples()
        )
    }
    invitations = tuple(
        InvitationRow(*t)
        for t in session.execute(
            select(Iv.id, Iv.workshop_id, Iv.email, Iv.name, Iv.lcp_id, Iv.contact_id, Ct.organisation_id, Iv.response)
            .outerjoin(Ct, Ct.id == Iv.contact_id)
            .where(Iv.status == "invited", Iv.workshop_id.in_(recent))
            .order_by(Iv.workshop_id, Iv.lcp_id, Iv.email)
        ).tuples()
    )
    organisations = {
        t[0]: OrganisationRow(*t)
        for t in session.execute(select(Og.id, Og.lcp_id, Og.name, Og.sector, Og.hub_interest)).tuples()
    }
    contacts = tuple(
        ContactRow(*t)
        for t in session.execute(
            select(Ct.id, Ct.organisation_id, Ct.name, Ct.email).where(Ct.active.is_(True)).order_by(Ct.email)
        ).tuples()
    )
    hubs = {
        t[0]: HubRow(*t) for t in session.execute(select(Hb.id, Hb.organisation_id, Hb.stage, Hb.stage_since)).tuples()
    }
    actions = {
        t[0]: ActionRow(*t)
        for t in session.execute(
            select(
                Ac.id,
                Ac.key,
                Ac.workshop_id,
                Ac.lcp_id,
                Ac.organisation_id,
                Ac.title,
                Ac.owner_role,
                Ac.due_date,
                Ac.status,
                Ac.overdue_since,
            )
            .where(or_(Ac.status == "open", Ac.workshop_id.in_(recent)))
            .order_by(Ac.id)
        ).tuples()
    }
    notified: dict[int, set[int]] = defaultdict(set)
    for escalation_id, level in session.execute(
        select(Nt.escalation_id, Nt.level).join(Es, Es.id == Nt.escalation_id).where(Es.status != "closed")
    ).tuples():
        notified[escalation_id].add(level)
    escalations = tuple(
        EscalationRow(*t, notified=frozenset(notified.get(t[0], ())))
        for t in session.execute(
            select(Es.id, Es.hub_id, Es.reason, Es.stalled_since, Es.level, Es.status, Es.snoozed_until).order_by(Es.id)
        ).tuples()
    )
    pending = tuple(
        PendingMessage(*t)
        for t in session.execute(
            select(Ob.id, Ob.idempotency_key, Ob.purpose).where(Ob.status == "pending", Ob.purpose.in_(PURPOSES))
        ).tuples()
    )
    return Snapshot(as_of, workshops, invitations, organisations, contacts, hubs, actions, escalations, pending)
