"""`rollout partners forget EMAIL`: one contact erased in one transaction (or, with dry_run, rolled back)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from rollout.errors import NotFoundError
from rollout.privacy.store import ForgetReport, erase_contact, files_mentioning, find_contact, record_erasure


def forget(
    sessions: sessionmaker[Session], email: str, now: dt.datetime, data_dir: Path, *, dry_run: bool = False
) -> ForgetReport:
    """Erase everything held about the contact with this address. Unknown address: NotFoundError, nothing done."""
    with sessions() as session:
        session.begin()
        try:
            contact = find_contact(session, email)
            if contact is None:
                raise NotFoundError("forget", [f"no contact with the address {email!r}; nothing was erased"])
            needles = [contact.email, contact.name]
            report = erase_contact(session, contact, now)
            report.files_removed = files_mentioning(data_dir, needles)
            if not dry_run:
                record_erasure(session, now, report.items)
                session.commit()
        finally:
            if session.in_transaction():  # a dry run, or anything raised: nothing is kept
                session.rollback()
        if dry_run:
            return report
    for path in report.files_removed:  # after the commit: a failed transaction leaves the files as they were
        path.unlink(missing_ok=True)
    return report
