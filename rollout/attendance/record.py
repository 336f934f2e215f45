"""Writing attendance: one row per contact and workshop, whatever the source.

A person's word (a mark, an import, the "I'm here" page) is never overwritten by a Teams report; a Teams report
adds only contacts nobody has recorded yet. Recording what is already recorded changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.db import models
from rollout.errors import InputError, NotFoundError
from rollout.partners.addresses import normalise_email

PERSON_SOURCES = ("mark", "import", "checkin")


def find_workshop(session: Session, wave_id: str, number: int) -> models.Workshop:
    workshop = session.scalar(
        select(models.Workshop).where(models.Workshop.wave_id == wave_id, models.Workshop.number == number)
    )
    if workshop is None:
        raise NotFoundError(
            f"--wave {wave_id} --workshop {number}", ["no such workshop in the database (has the wave been launched?)"]
        )
    return workshop


def contacts_by_email(session: Session) -> dict[str, models.Contact]:
    return {c.email.lower(): c for c in session.scalars(select(models.Contact).where(models.Contact.active.is_(True)))}


def existing(session: Session, workshop_id: int) -> dict[int, models.Attendance]:
    rows = session.scalars(select(models.Attendance).where(models.Attendance.workshop_id == workshop_id))
    return {row.contact_id: row for row in rows}


def record(
    session: Session,
    workshop_id: int,
    contact_id: int,
    *,
    present: bool,
    source: str,
    by: str,
    at: dt.datetime,
    seconds: int | None = None,
    known: dict[int, models.Attendance] | None = None,
) -> bool:
    """True when something changed. A Teams report never overrides a person's record."""
    rows = known if known is not None else existing(session, workshop_id)
    row = rows.get(contact_id)
    if row is None:
        row = models.Attendance(
            workshop_id=workshop_id,
            contact_id=contact_id,
            present=present,
            source=source,
            recorded_at=at,
            recorded_by=by,
            seconds=seconds,
        )
        session.add(row)
        rows[contact_id] = row
        return True
    if row.present == present or (source == "teams" and row.source in PERSON_SOURCES):
        return False
    row.present, row.source, row.recorded_at, row.recorded_by = present, source, at, by
    return True


@dataclass
class ImportReport:
    rows: int = 0
    recorded: int = 0  # new or changed
    already: int = 0
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (line, address) matching no contact


def read_attendance_csv(path: Path) -> list[tuple[int, str]]:
    """(line, address) of every row; every bad row is reported at once, naming its line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(source, ["file not found"]) from None
    except UnicodeDecodeError:
        raise InputError(source, ["not UTF-8 text; save the spreadsheet as 'CSV UTF-8'"]) from None
    reader = csv.DictReader(text.splitlines())
    header = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "email" not in header:
        raise InputError(source, ["header: needs an `email` column (other columns are ignored)"])
    column = header["email"]
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        value = (raw.get(column) or "").strip()
        if not value:
            problems.append(f"row {line}: email is empty")
            continue
        try:
            rows.append((line, normalise_email(value)))
        except ValueError as exc:
            problems.append(f"row {line}: {exc}")
    if problems:
        raise InputError(source, problems)
    return rows


def import_attendance(
    session: Session, workshop: models.Workshop, rows: list[tuple[int, str]], *, by: str, at: dt.datetime
) -> ImportReport:
    """Everyone listed came. Unknown addresses are reported and nothing else is held back by them."""
    report = ImportReport(rows=len(rows))
    contacts = contacts_by_email(session)
    known = existing(session, workshop.id)
    for line, address in rows:
        contact = contacts.get(address)
        if contact is None:
            report.unknown.append((line, address))
        elif record(session, workshop.id, contact.id, present=True, source="import", by=by, at=at, known=known):
            report.recorded += 1
        else:
            report.already += 1
    return report


def mark(
    session: Session,
    workshop: models.Workshop,
    address: str,
    *,
    present: bool,
    by: str,
    at: dt.datetime,
    resolves: int | None = None,
) -> bool:
    """A person records one contact as present or absent (and, with `resolves`, says who an unmatched Teams
    attendee was)."""
    try:
        email = normalise_email(address)
    except ValueError as exc:
        raise InputError("--email", [str(exc)]) from None
    contact = contacts_by_email(session).get(email)
    if contact is None:
        raise NotFoundError("--email", [f"{email} is not an active partner contact (see `rollout partners list`)"])
    if resolves is not None:
        unmatched = session.get(models.UnmatchedAttendee, resolves)
        if unmatched is None or unmatched.workshop_id != workshop.id:
            raise NotFoundError("--resolves", [f"no unmatched attendee {resolves} at this workshop"])
        unmatched.resolved_contact_id, unmatched.resolved_at, unmatched.resolved_by = contact.id, at, by
    else:
        for unmatched in session.scalars(
            select(models.UnmatchedAttendee).where(
                models.UnmatchedAttendee.workshop_id == workshop.id,
                models.UnmatchedAttendee.email == email,
                models.UnmatchedAttendee.resolved_at.is_(None),
            )
        ):
            unmatched.resolved_contact_id, unmatched.resolved_at, unmatched.resolved_by = contact.id, at, by
    return record(session, workshop.id, contact.id, present=present, source="mark", by=by, at=at)
