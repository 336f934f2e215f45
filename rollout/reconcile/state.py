"""The reconciler's view of the database: one snapshot, loaded in a fixed number of bulk queries.

The number of statements does not grow with the number of partners, hubs, actions or escalations: every table is
read with one query (plain column tuples, no lazy loading), and the deciders work on these frozen rows.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.orm import Session

from rollout.attendance.known import NOTHING_KNOWN, KnownAttendance, load_known_attendance
from rollout.db import models

# Invitations are loaded for workshops that started at most this long ago (follow-ups need who was invited) or
# have not happened yet (reminders). A follow-up window longer than this would not see its invitees.
RECENT_DAYS = 120

# What the reconciler queues; only these rows can be superseded by it.
PURPOSES = ("reminder", "follow_up", "missed_workshop", "action_reminder", "action_overdue", "escalation")


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class InvitationRow:
    id: int
    workshop_id: int
    email: str
    name: str
    lcp_id: str
    contact_id: int | None  # None for an LCP lead
    organisation_id: int | None
    response: str  # none | accepted | tentative | declined
    mail_stopped: bool = False  # the contact used "stop emails" (or was erased): no reminders by email


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    id: int
    lcp_id: str
    name: str
    sector: str
    hub_interest: bool


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    organisation_id: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class HubRow:
    id: int
    organisation_id: int
    stage: int
    stage_since: dt.datetime


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class EscalationRow:
    id: int
    hub_id: int
    reason: str  # no_progress | overdue_actions
    stalled_since: dt.date
    level: int
    status: str  # open | acknowledged | snoozed | closed
    snoozed_until: dt.date | None
    notified: frozenset[int] = frozenset()  # levels already notified
    notice_keys: frozenset[str] = frozenset()  # the outbox keys its notices were sent under

    @property
    def active(self) -> bool:
        return self.status != "closed"


@dataclass(frozen=True, slots=True)
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
    contacts: tuple[ContactRow, ...]  # active contacts who take programme emails (not stopped, not erased)
    hubs: dict[int, HubRow]
    actions: dict[int, ActionRow]  # every open action, and every action of a recent workshop
    escalations: tuple[EscalationRow, ...]  # all of them, closed too (a stall is never opened twice)
    pending: tuple[PendingMessage, ...] = field(default=())  # reconciler messages not yet delivered
    attendance: KnownAttendance = NOTHING_KNOWN  # who came to recent workshops (rollout.attendance.known)

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

    @cached_property
    def organisations_by_lcp(self) -> dict[str, list[OrganisationRow]]:
        return _group(self.organisations.values(), lambda o: o.lcp_id)

    def organisations_in(self, lcp_id: str) -> list[OrganisationRow]:
        return list(self.organisations_by_lcp.get(lcp_id, ()))


K = TypeVar("K")
V = TypeVar("V")


def _group(items: Iterable[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    grouped: dict[K, list[V]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return dict(grouped)


@dataclass(frozen=True)
class SnapshotQueries:
    """The nine SELECTs a snapshot is loaded with (also what bench/reconcile_scale.py scans raw, for comparison)."""

    workshops: Select[Any]
    invitations: Select[Any]
    organisations: Select[Any]
    contacts: Select[Any]
    hubs: Select[Any]
    actions: Select[Any]
    notices: Select[Any]  # (escalation id, level, message key) notified, of escalations not closed
    escalations: Select[Any]
    pending: Select[Any]

    def all(self) -> list[Select[Any]]:
        return [getattr(self, f.name) for f in fields(self)]


def snapshot_queries(as_of: dt.datetime) -> SnapshotQueries:
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
    return SnapshotQueries(
        workshops=select(
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
        ),
        invitations=(
            select(
                Iv.id,
                Iv.workshop_id,
                Iv.email,
                Iv.name,
                Iv.lcp_id,
                Iv.contact_id,
                Ct.organisation_id,
                Iv.response,
                Ct.mail_opted_out_at.is_not(None),
            )
            .outerjoin(Ct, Ct.id == Iv.contact_id)
            .where(Iv.status == "invited", Iv.workshop_id.in_(recent))
            .order_by(Iv.workshop_id, Iv.lcp_id, Iv.email)
        ),
        organisations=select(Og.id, Og.lcp_id, Og.name, Og.sector, Og.hub_interest),
        contacts=(
            select(Ct.id, Ct.organisation_id, Ct.name, Ct.email)
            .where(Ct.active.is_(True), Ct.mail_opted_out_at.is_(None))
            .order_by(Ct.email)
        ),
        hubs=select(Hb.id, Hb.organisation_id, Hb.stage, Hb.stage_since),
        actions=(
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
        ),
        notices=select(Nt.escalation_id, Nt.level, Nt.message_key)
        .join(Es, Es.id == Nt.escalation_id)
        .where(Es.status != "closed"),
        escalations=select(
            Es.id, Es.hub_id, Es.reason, Es.stalled_since, Es.level, Es.status, Es.snoozed_until
        ).order_by(Es.id),
        pending=select(Ob.id, Ob.idempotency_key, Ob.purpose).where(Ob.status == "pending", Ob.purpose.in_(PURPOSES)),
    )


def load_snapshot(session: Session, as_of: dt.datetime) -> Snapshot:
    """Nine SELECTs (and two for attendance, rollout.attendance.known), whatever the size of the programme.

    They run on the session's connection (in its transaction) as Core statements: the rows are plain column tuples,
    so the ORM's result machinery has nothing to do and is skipped. Pending ORM changes are flushed first, as
    session.execute's autoflush would, so the snapshot sees everything this transaction has done.
    """
    if session.autoflush:
        session.flush()
    q = snapshot_queries(as_of)
    connection = session.connection()

    def rows(statement: Select[Any]) -> Sequence[Row[Any]]:
        return connection.execute(statement).all()  # one fetchall, not a driver call per row

    with collector_paused():
        workshops = {t[0]: WorkshopRow(*t) for t in rows(q.workshops)}
        invitations = tuple(InvitationRow(*t) for t in rows(q.invitations))
        organisations = {t[0]: OrganisationRow(*t) for t in rows(q.organisations)}
        contacts = tuple(ContactRow(*t) for t in rows(q.contacts))
        hubs = {t[0]: HubRow(*t) for t in rows(q.hubs)}
        actions = {t[0]: ActionRow(*t) for t in rows(q.actions)}
        notified: dict[int, set[int]] = defaultdict(set)
        notice_keys: dict[int, set[str]] = defaultdict(set)
        for escalation_id, level, message_key in rows(q.notices):
            notified[escalation_id].add(level)
            notice_keys[escalation_id].add(message_key)
        escalations = tuple(
            EscalationRow(
                id_,
                hub_id,
                reason,
                since,
                level,
                status,
                snoozed_until,
                frozenset(notified.get(id_, ())),
                frozenset(notice_keys.get(id_, ())),
            )
            for id_, hub_id, reason, since, level, status, snoozed_until in rows(q.escalations)
        )
        pending = tuple(PendingMessage(*t) for t in rows(q.pending))
        attendance = load_known_attendance(connection, as_of - dt.timedelta(days=RECENT_DAYS))
    return Snapshot(
        as_of, workshops, invitations, organisations, contacts, hubs, actions, escalations, pending, attendance
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the rows are built.

    A national programme's snapshot is some 70,000 rows: every allocation threshold passed on the way starts a
    collection, and the full ones walk every object in the process, the snapshot built so far included. The rows
    hold no reference cycles, so those passes find nothing; at 70,000 rows they cost about as much again as fetching
    the rows (bench/reconcile_scale.py). Reference counting still frees memory meanwhile; the collector is switched
    back on (if it was on) when the rows are built, and catches up at its next threshold.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
