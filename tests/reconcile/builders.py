"""A small world for the pure deciders: snapshots built in memory, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from rollout.attendance.known import KnownAttendance
from rollout.reconcile.state import (
    ActionRow,
    ContactRow,
    EscalationRow,
    HubRow,
    InvitationRow,
    OrganisationRow,
    PendingMessage,
    Snapshot,
    WorkshopRow,
)

UK = ZoneInfo("Europe/London")


def local(day: dt.date, hour: int = 7, minute: int = 0) -> dt.datetime:
    """That day at hh:mm UK time, as UTC (how the reconciler receives `now`)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UK).astimezone(dt.UTC)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class World:
    """Mutable while a test builds it; `snapshot(now)` freezes it."""

    workshops: dict[int, WorkshopRow] = field(default_factory=dict)
    invitations: list[InvitationRow] = field(default_factory=list)
    organisations: dict[int, OrganisationRow] = field(default_factory=dict)
    contacts: list[ContactRow] = field(default_factory=list)
    hubs: dict[int, HubRow] = field(default_factory=dict)
    actions: dict[int, ActionRow] = field(default_factory=dict)
    escalations: list[EscalationRow] = field(default_factory=list)
    pending: list[PendingMessage] = field(default_factory=list)
    came: dict[int, set[int]] = field(default_factory=dict)  # workshop id -> contact ids who came
    attendance_known: set[int] = field(default_factory=set)  # workshops whose attendance is known

    def workshop(
        self,
        number: int,
        day: str,
        *,
        wave: str = "wave-1",
        hour: int = 10,
        status: str = "scheduled",
        minutes: int = 120,
    ) -> WorkshopRow:
        workshop_id = len(self.workshops) + 1
        start = local(d(day), hour)
        row = WorkshopRow(
            id=workshop_id,
            wave_id=wave,
            number=number,
            title=f"Workshop {number}",
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes),
            format="teams",
            venue=None,
            status=status,
            event_id=f"event-{workshop_id}" if status != "planned" else None,
        )
        self.workshops[workshop_id] = row
        return row

    def organisation(
        self,
        name: str,
        lcp: str = "central",
        *,
        contacts: int = 1,
        hub_stage: int | None = None,
        stage_since: str = "2022-08-31",
        interest: bool = False,
        sector: str = "third_sector",
    ) -> OrganisationRow:
        org = OrganisationRow(len(self.organisations) + 1, lcp, name, sector, interest)
        self.organisations[org.id] = org
        for n in range(contacts):
            slug = name.lower().replace(" ", "-")
            self.contacts.append(
                ContactRow(len(self.contacts) + 1, org.id, f"{name} contact {n + 1}", f"c{n + 1}@{slug}.example.org")
            )
        if hub_stage is not None:
            hub_id = len(self.hubs) + 1
            self.hubs[hub_id] = HubRow(hub_id, org.id, hub_stage, local(d(stage_since), 12))
        return org

    def people_of(self, org: OrganisationRow) -> list[ContactRow]:
        return [c for c in self.contacts if c.organisation_id == org.id]

    def hub_of(self, org: OrganisationRow) -> HubRow:
        return next(h for h in self.hubs.values() if h.organisation_id == org.id)

    def invite(self, workshop: WorkshopRow, org: OrganisationRow, response: str = "none") -> list[InvitationRow]:
        rows = []
        for contact in self.people_of(org):
            row = InvitationRow(
                len(self.invitations) + 1,
                workshop.id,
                contact.email,
                contact.name,
                org.lcp_id,
                contact.id,
                org.id,
                response,
            )
            self.invitations.append(row)
            rows.append(row)
        return rows

    def invite_lead(self, workshop: WorkshopRow, lcp: str, email: str, response: str = "none") -> InvitationRow:
        row = InvitationRow(len(self.invitations) + 1, workshop.id, email, f"{lcp} lead", lcp, None, None, response)
        self.invitations.append(row)
        return row

    def respond(self, invitation: InvitationRow, response: str) -> None:
        self.invitations = [replace(i, response=response) if i.id == invitation.id else i for i in self.invitations]

    def action(
        self,
        workshop: WorkshopRow,
        due: str,
        org: OrganisationRow | None = None,
        *,
        lcp: str = "central",
        status: str = "open",
        overdue_since: str | None = None,
        title: str = "Do the thing",
        key: str | None = None,
    ) -> ActionRow:
        action_id = len(self.actions) + 1
        row = ActionRow(
            action_id,
            key or f"action:test:{action_id}",
            workshop.id,
            org.lcp_id if org else lcp,
            org.id if org else None,
            title,
            "each_partner" if org else "lcp_lead",
            d(due),
            status,
            d(overdue_since) if overdue_since else None,
        )
        self.actions[action_id] = row
        return row

    def escalation(
        self,
        hub: HubRow,
        reason: str,
        since: str,
        *,
        status: str = "open",
        notified: tuple[int, ...] = (),
        snoozed_until: str | None = None,
    ) -> EscalationRow:
        row = EscalationRow(
            len(self.escalations) + 1,
            hub.id,
            reason,
            d(since),
            max(notified, default=0),
            status,
            d(snoozed_until) if snoozed_until else None,
            frozenset(notified),
        )
        self.escalations.append(row)
        return row

    def attended(self, workshop: WorkshopRow, *contacts: ContactRow) -> None:
        """Attendance of `workshop` is known, and these contacts came (none: nobody did)."""
        self.attendance_known.add(workshop.id)
        self.came.setdefault(workshop.id, set()).update(c.id for c in contacts)

    def snapshot(self, now: dt.datetime) -> Snapshot:
        return Snapshot(
            as_of=now,
            workshops=dict(self.workshops),
            invitations=tuple(self.invitations),
            organisations=dict(self.organisations),
            contacts=tuple(self.contacts),
            hubs=dict(self.hubs),
            actions=dict(self.actions),
            escalations=tuple(self.escalations),
            pending=tuple(self.pending),
            attendance=KnownAttendance(
                present={k: frozenset(v) for k, v in self.came.items()}, known=frozenset(self.attendance_known)
            ),
        )
