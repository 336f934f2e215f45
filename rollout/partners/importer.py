"""Apply checked partner rows in one transaction: create what is new, update what changed, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.config.schema import Programme
from rollout.db import models
from rollout.limits import NAME_LENGTH
from rollout.partners.csv_rows import PartnerRow
from rollout.programme.progress import create_hub, move_hub
from rollout.programme.sync import sync_programme


@dataclass
class ImportReport:
    organisations_created: int = 0
    organisations_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    contacts_deactivated: int = 0
    hubs_created: int = 0
    hub_stages_changed: int = 0
    unchanged_rows: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def import_partners(
    session: Session, programme: Programme, rows: list[PartnerRow], source: str, remove_missing: bool = False
) -> ImportReport:
    sync_programme(session, programme)
    report = ImportReport()
    orgs = {(o.lcp_id, o.name.casefold()): o for o in session.scalars(select(models.Organisation))}
    contacts = {c.email: c for c in session.scalars(select(models.Contact))}
    who = f"import {source}"[:NAME_LENGTH]  # stored as who made the change; a file name may be 255 bytes

    for row in rows:
        before = len(report.changes)
        org = orgs.get((row.lcp, row.organisation.casefold()))
        if org is None:
            org = models.Organisation(
                lcp_id=row.lcp,
                name=row.organisation,
                sector=row.sector,
                roles=list(row.roles),
                hub_interest=row.hub_interest,
            )
            session.add(org)
            session.flush()
            orgs[(row.lcp, row.organisation.casefold())] = org
            report.organisations_created += 1
            report.changes.append(f"line {row.line}: new organisation {row.organisation}")
        elif (org.sector, tuple(org.roles), org.hub_interest, org.name) != (
            row.sector,
            row.roles,
            row.hub_interest,
            row.organisation,
        ):
            org.name, org.sector, org.roles, org.hub_interest = (
                row.organisation,
                row.sector,
                list(row.roles),
                (row.hub_interest),
            )
            report.organisations_updated += 1
            report.changes.append(f"line {row.line}: updated organisation {row.organisation}")

        contact = contacts.get(row.email)
        if contact is None:
            contact = models.Contact(organisation_id=org.id, name=row.contact_name, email=row.email, active=True)
            session.add(contact)
            contacts[row.email] = contact
            report.contacts_created += 1
            report.changes.append(f"line {row.line}: new contact {row.email}")
        elif (contact.organisation_id, contact.name, contact.active) != (org.id, row.contact_name, True):
            contact.organisation_id, contact.name, contact.active = org.id, row.contact_name, True
            report.contacts_updated += 1
            report.changes.append(f"line {row.line}: updated contact {row.email}")

        if row.hub_stage is not None:
            _set_hub_stage(session, org, row, who, report)
        if len(report.changes) == before:
            report.unchanged_rows += 1

    if remove_missing:
        listed = {row.email for row in rows}
        for email, contact in contacts.items():
            if email not in listed and contact.active:
                contact.active = False
                report.contacts_deactivated += 1
                report.changes.append(f"deactivated contact {email} (not in the file)")
    session.flush()
    return report


def _set_hub_stage(session: Session, org: models.Organisation, row: PartnerRow, who: str, report: ImportReport) -> None:
    assert row.hub_stage is not None
    hub = session.scalars(select(models.Hub).where(models.Hub.organisation_id == org.id)).one_or_none()
    if hub is None:
        create_hub(session, org, row.hub_stage, by=who, source="import")
        report.hubs_created += 1
        report.changes.append(f"line {row.line}: {org.name} is a hub at stage {row.hub_stage}")
    elif move_hub(session, hub, row.hub_stage, by=who, source="import"):
        report.hub_stages_changed += 1
        report.changes.append(f"line {row.line}: {org.name} moved to stage {row.hub_stage}")
