"""What personal data is due for erasure now: pure functions of (rows as loaded, the retention policy, as_of).

Each rule names rows by id; rollout.privacy.store loads the rows and does the writes. A row already erased is
never due again, so applying the plan twice changes nothing the second time (the reconcile is idempotent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rollout.config.schema import Retention

TOMBSTONE_NAME = "Erased contact"
TOMBSTONE_DOMAIN = "erased.invalid"  # .invalid never resolves: nothing can ever be sent to a tombstone
DELIVERED = ("sent", "dropped", "failed")


def contact_tombstone(contact_id: int) -> str:
    return f"erased-contact-{contact_id}@{TOMBSTONE_DOMAIN}"


def invitation_tombstone(invitation_id: int) -> str:
    return f"erased-invitation-{invitation_id}@{TOMBSTONE_DOMAIN}"


def is_tombstone(email: str) -> bool:
    return email.endswith("@" + TOMBSTONE_DOMAIN)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    kind: str  # mail | event.*
    status: str
    at: dt.datetime  # sent_at, or created_at when never sent
    erased: bool  # payload already blanked
    wave_ended: dt.date | None  # the end date of the row's wave, if it has one


@dataclass(frozen=True, slots=True)
class NoteRow:
    table: str  # action_change | hub_stage_change | escalation_change | hub_help_request
    id: int
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    active: bool
    erased: bool
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class InvitationRow:
    id: int
    email: str
    wave_ended: dt.date


@dataclass(frozen=True)
class RetentionRows:
    outbox: tuple[OutboxRow, ...] = ()
    notes: tuple[NoteRow, ...] = ()  # check-in records still holding a note or a partner's name
    rsvp_history: tuple[tuple[int, dt.datetime], ...] = ()  # (response_change id, recorded_at)
    contacts: tuple[ContactRow, ...] = ()
    invitations: tuple[InvitationRow, ...] = ()


@dataclass(frozen=True)
class RetentionPlan:
    """Ids due now, per kind of erasure."""

    outbox_bodies: tuple[int, ...] = ()
    notes: tuple[NoteRow, ...] = ()
    rsvp_history: tuple[int, ...] = ()
    contacts: tuple[int, ...] = ()
    invitations: tuple[int, ...] = ()
    events: tuple[int, ...] = field(default=())  # event rows of ended waves: attendee lists blanked

    def counts(self) -> dict[str, int]:
        return {
            "outbox_bodies": len(self.outbox_bodies),
            "checkin_notes": len(self.notes),
            "rsvp_history": len(self.rsvp_history),
            "removed_contacts": len(self.contacts),
            "closed_wave_invitations": len(self.invitations),
            "closed_wave_events": len(self.events),
        }

    @property
    def total(self) -> int:
        return sum(self.counts().values())


@dataclass(frozen=True)
class Cutoffs:
    """The moments before which each kind of data is due at `as_of`: what retention_due judges rows by, and what
    rollout.privacy.store uses to load only rows that can be due (an old programme holds years of delivered mail)."""

    outbox_bodies: dt.datetime  # a message sent (or, never sent, created) at or before this
    checkin_notes: dt.datetime
    rsvp_history: dt.datetime
    removed_contacts: dt.datetime  # a contact deactivated at or before this
    closed_waves: dt.date  # a wave that ended on or before this day

    @classmethod
    def at(cls, policy: Retention, as_of: dt.datetime) -> Cutoffs:
        """`as_of` is tz-aware UTC."""

        def back(days: int) -> dt.datetime:
            return as_of - dt.timedelta(days=days)

        return cls(
            outbox_bodies=back(policy.outbox_bodies_days),
            checkin_notes=back(policy.checkin_notes_days),
            rsvp_history=back(policy.rsvp_history_days),
            removed_contacts=back(policy.removed_contacts_days),
            closed_waves=back(policy.closed_wave_invitations_days).date(),
        )


def retention_due(rows: RetentionRows, policy: Retention, as_of: dt.datetime) -> RetentionPlan:
    """Everything older than its period and not yet erased. `as_of` is tz-aware UTC."""
    cut = Cutoffs.at(policy, as_of)

    def ended(end: dt.date | None) -> bool:
        return end is not None and end <= cut.closed_waves

    return RetentionPlan(
        outbox_bodies=tuple(
            r.id
            for r in rows.outbox
            if r.kind == "mail" and r.status in DELIVERED and not r.erased and r.at <= cut.outbox_bodies
        ),
        notes=tuple(n for n in rows.notes if n.at <= cut.checkin_notes),
        rsvp_history=tuple(i for i, at in rows.rsvp_history if at <= cut.rsvp_history),
        contacts=tuple(
            c.id for c in rows.contacts if not c.active and not c.erased and c.updated_at <= cut.removed_contacts
        ),
        invitations=tuple(i.id for i in rows.invitations if not is_tombstone(i.email) and ended(i.wave_ended)),
        events=tuple(
            r.id
            for r in rows.outbox
            if r.kind != "mail" and r.status in DELIVERED and not r.erased and ended(r.wave_ended)
        ),
    )
