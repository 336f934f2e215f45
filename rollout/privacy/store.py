"""Every write that erases personal data: the retention plan applied, and one contact forgotten.

Erasing keeps rows (and so every count the digest, status and history report) and replaces what identifies a
person: names become "Erased contact", addresses an `@erased.invalid` tombstone, notes and delivered email bodies
are blanked. `forget_contact` then sweeps every text and JSON column of every table for the address and name, so
nothing is missed when a table is added later.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, Table, Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.privacy import rules

ERASED_PAYLOAD: dict[str, Any] = {"erased": True}
# How an erased payload is stored (SQLAlchemy's JSON type writes json.dumps on SQLite and PostgreSQL alike): the
# retention step asks the database which rows are erased instead of reading and decoding every delivered body.
_ERASED_TEXT = json.dumps(ERASED_PAYLOAD)
NoteModel = type[models.ActionChange] | type[models.HubStageChange] | type[models.EscalationChange]
NOTE_TABLES: dict[str, NoteModel] = {
    "action_change": models.ActionChange,
    "hub_stage_change": models.HubStageChange,
    "escalation_change": models.EscalationChange,
}
DB_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite")
MAX_FILE_BYTES = 20 * 1024 * 1024


# --- retention ------------------------------------------------------------------------------------------------


def load_retention_rows(session: Session, cut: rules.Cutoffs) -> rules.RetentionRows:
    """The rows that can be due at `cut` (older than their period and not yet erased): rules.retention_due then
    decides. Rows that cannot be due are not read, so a daily run reads what it erases, not the whole history."""
    ob, wv, ct, iv, wk = models.OutboundMessage, models.Wave, models.Contact, models.Invitation, models.Workshop
    not_erased = func.coalesce(cast(ob.payload, Text), "") != _ERASED_TEXT
    old_mail = and_(
        ob.kind == "mail",
        or_(
            and_(ob.sent_at.is_not(None), ob.sent_at <= cut.outbox_bodies),
            and_(ob.sent_at.is_(None), ob.created_at <= cut.outbox_bodies),
        ),
    )
    closed_event = and_(ob.kind != "mail", wv.end_date <= cut.closed_waves)
    outbox = session.execute(
        select(ob.id, ob.kind, ob.status, ob.sent_at, ob.created_at, wv.end_date)
        .outerjoin(wv, wv.id == ob.wave_id)
        .where(ob.status.in_(rules.DELIVERED), not_erased, or_(old_mail, closed_event))
    ).tuples()
    notes: list[rules.NoteRow] = []
    for table, model in NOTE_TABLES.items():
        notes += [
            rules.NoteRow(table, i, at)
            for i, at in session.execute(
                select(model.id, model.changed_at).where(
                    model.source == "checkin",
                    model.changed_at <= cut.checkin_notes,
                    or_(model.note.is_not(None), model.changed_by != rules.TOMBSTONE_NAME),
                )
            ).tuples()
        ]
    hr = models.HubHelpRequest
    notes += [
        rules.NoteRow("hub_help_request", i, at)
        for i, at in session.execute(
            select(hr.id, hr.requested_at).where(
                hr.requested_at <= cut.checkin_notes,
                or_(hr.note.is_not(None), hr.requested_by != rules.TOMBSTONE_NAME),
            )
        ).tuples()
    ]
    rc = models.ResponseChange
    return rules.RetentionRows(
        outbox=tuple(
            rules.OutboxRow(i, kind, status, sent or created, False, end)
            for i, kind, status, sent, created, end in outbox
        ),
        notes=tuple(notes),
        rsvp_history=tuple(
            session.execute(select(rc.id, rc.recorded_at).where(rc.recorded_at <= cut.rsvp_history)).tuples()
        ),
        contacts=tuple(
            rules.ContactRow(i, active, erased is not None, updated)
            for i, active, erased, updated in session.execute(
                select(ct.id, ct.active, ct.erased_at, ct.updated_at).where(
                    ct.active.is_(False), ct.erased_at.is_(None), ct.updated_at <= cut.removed_contacts
                )
            ).tuples()
        ),
        invitations=tuple(
            rules.InvitationRow(i, email, end)
            for i, email, end in session.execute(
                select(iv.id, iv.email, wv.end_date)
                .join(wk, wk.id == iv.workshop_id)
                .join(wv, wv.id == wk.wave_id)
                .where(wv.end_date <= cut.closed_waves, iv.email.not_like(f"%@{rules.TOMBSTONE_DOMAIN}"))
            ).tuples()
        ),
    )


def apply_retention(session: Session, plan: rules.RetentionPlan, now: dt.datetime) -> dict[str, int]:
    """Carry out a plan (rollout.privacy.rules.retention_due) in the caller's transaction; returns the counts."""
    ob = models.OutboundMessage
    blank = list(plan.outbox_bodies) + list(plan.events)
    if blank:
        session.execute(update(ob).where(ob.id.in_(blank)).values(payload=ERASED_PAYLOAD, recipients=[]))
    for note in plan.notes:
        if note.table == "hub_help_request":
            values = {"note": None, "requested_by": rules.TOMBSTONE_NAME}
            session.execute(update(models.HubHelpRequest).where(models.HubHelpRequest.id == note.id).values(values))
        else:
            model = NOTE_TABLES[note.table]
            session.execute(update(model).where(model.id == note.id).values(note=None, changed_by=rules.TOMBSTONE_NAME))
    if plan.rsvp_history:
        session.execute(delete(models.ResponseChange).where(models.ResponseChange.id.in_(plan.rsvp_history)))
    for invitation_id in plan.invitations:
        session.execute(
            update(models.Invitation)
            .where(models.Invitation.id == invitation_id)
            .values(email=rules.invitation_tombstone(invitation_id), name=rules.TOMBSTONE_NAME)
        )
    for contact_id in plan.contacts:
        contact = session.get(models.Contact, contact_id)
        if contact is not None:
            erase_contact(session, contact, now)
    counts = plan.counts()
    if plan.total:
        session.add(models.Erasure(erased_at=now, reason="retention", items=plan.total))
    session.flush()
    return counts


# --- one contact ------------------------------------------------------------------------------------------------


@dataclass
class ForgetReport:
    values_replaced: int = 0
    pending_cancelled: int = 0
    emails_blanked: int = 0
    files_removed: list[Path] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.values_replaced + self.pending_cancelled + self.emails_blanked + len(self.files_removed)


def find_contact(session: Session, email: str) -> models.Contact | None:
    return session.scalars(
        select(models.Contact).where(models.Contact.email == email.strip().lower(), models.Contact.erased_at.is_(None))
    ).first()


def erase_contact(session: Session, contact: models.Contact, now: dt.datetime) -> ForgetReport:
    """Anonymise one contact everywhere (in the caller's transaction). Their check-in links stop working."""
    email, name = contact.email, contact.name
    report = ForgetReport()
    report.pending_cancelled, report.emails_blanked = _outbox_for(session, email)
    contact.name, contact.email = rules.TOMBSTONE_NAME, rules.contact_tombstone(contact.id)
    contact.erased_at, contact.mail_opted_out_at, contact.keep_calendar = now, now, False
    session.flush()
    report.values_replaced = scrub_database(session, email, name, rules.contact_tombstone(contact.id))
    return report


def _outbox_for(session: Session, email: str) -> tuple[int, int]:
    """Pending messages to them: cancelled (or they are taken off a shared one); mail sent only to them: blanked."""
    ob = models.OutboundMessage
    cancelled = blanked = 0
    for row in session.scalars(select(ob).where(ob.status.in_(("pending", *rules.DELIVERED)))):
        if email not in row.recipients:
            continue
        others = [r for r in row.recipients if r != email]
        if row.status != "pending":
            if row.kind == "mail" and not others:
                row.payload, row.recipients = dict(ERASED_PAYLOAD), []
                blanked += 1
            else:  # an event or a shared email: they are taken off its lists (the body is swept below)
                row.payload, row.recipients = _without(row.payload, email), others
            continue
        if row.kind != "mail" or others:
            payload = _without(row.payload, email)
            if row.kind == "mail" and not payload["to"]:
                row.status, row.last_error = "dropped", "recipient erased"
                payload = dict(ERASED_PAYLOAD)
                others = []
            row.payload, row.recipients = payload, others
        else:
            row.status, row.last_error = "dropped", "recipient erased"
            row.payload, row.recipients = dict(ERASED_PAYLOAD), []
        cancelled += 1
    session.flush()
    return cancelled, blanked


def _without(payload: dict[str, Any], email: str) -> dict[str, Any]:
    """An event's or email's payload without this address among its attendees, to or cc."""
    out = dict(payload)
    for part in ("attendees", "to", "cc"):
        if isinstance(out.get(part), list):
            out[part] = [r for r in out[part] if not (isinstance(r, dict) and r.get("email") == email)]
    return out


def _pattern(email: str, name: str) -> re.Pattern[str]:
    parts = [re.escape(email)]
    if name.strip() and name != rules.TOMBSTONE_NAME:
        parts.append(r"(?<!\w)" + re.escape(name.strip()) + r"(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub_database(session: Session, email: str, name: str, tombstone: str) -> int:
    """Replace the address and the name in every text and JSON column of every table; returns values changed."""
    pattern = _pattern(email, name)

    def swap(match: re.Match[str]) -> str:
        return tombstone if "@" in match.group(0) else rules.TOMBSTONE_NAME

    changed = 0
    for table in models.Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        for row in session.execute(select(*keys, *columns)).mappings():
            values = {c.name: _replaced(row[c], pattern, swap) for c in columns}
            values = {k: v for k, v in values.items() if v != row[k]}
            if values:
                changed += len(values)
                session.execute(update(table).where(_same(table, keys, row)).values(values))
    session.expire_all()
    return changed


def _same(table: Table, keys: Iterable[Any], row: Any) -> Any:
    return and_(*(table.c[k.name] == row[k.name] for k in keys))


def _replaced(value: Any, pattern: re.Pattern[str], swap: Any) -> Any:
    if isinstance(value, str):
        return pattern.sub(swap, value)
    if isinstance(value, list):
        return [_replaced(v, pattern, swap) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, pattern, swap) for k, v in value.items()}
    return value


def files_mentioning(data_dir: Path, needles: list[str]) -> list[Path]:
    """Local copies under the data directory (mail previews, digests, simulated mailboxes) that mention them."""
    if not data_dir.is_dir():
        return []
    lowered = [n.lower() for n in needles if n.strip()]
    found = []
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.name.endswith(DB_SUFFIXES) or path.stat().st_size > MAX_FILE_BYTES:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore").lower()
        if any(n in text for n in lowered):
            found.append(path)
    return found


def record_erasure(session: Session, now: dt.datetime, items: int) -> None:
    session.add(models.Erasure(erased_at=now, reason="forget", items=items))
