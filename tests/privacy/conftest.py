"""A wave launched and reconciled through the recording gateway, with a partner's check-in records: the data a
council would hold about its partners after a few weeks of the rollout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.programme import progress
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample
from tests.reconcile.timeline import Timeline

DAYS = ("2022-10-04", "2022-10-14", "2022-10-19", "2022-11-09")


@dataclass(frozen=True)
class Partner:
    contact_id: int
    email: str
    name: str


def dump(sessions: sessionmaker[Session]) -> str:
    """Every table, every column, every row, as text."""
    lines = []
    with sessions() as session:
        for table in models.Base.metadata.sorted_tables:
            for row in session.execute(select(table)).tuples():
                lines.append(f"{table.name}: " + " | ".join(str(value) for value in row))
    return "\n".join(lines)


def busiest_partner(sessions: sessionmaker[Session]) -> Partner:
    """The partner contact with the most emails in the outbox."""
    with sessions() as session:
        counts: dict[str, int] = {}
        for recipients in session.scalars(select(models.OutboundMessage.recipients)):
            for address in recipients:
                counts[address] = counts.get(address, 0) + 1
        contacts = session.scalars(select(models.Contact)).all()
        best = max(contacts, key=lambda c: (counts.get(c.email, 0), c.email))
        return Partner(best.id, best.email, best.name)


@pytest.fixture
def wave(data_dir, sessions, programme: Programme, monkeypatch) -> tuple[Timeline, Partner]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROLLOUT_CHECKIN_SECRET", "privacy-test-secret-0123456789-abcdefghijklmnop")
    monkeypatch.setenv("ROLLOUT_PUBLIC_URL", "https://checkin.example.gov.uk")
    import_sample(sessions, programme)
    timeline = Timeline.start(sessions, programme)
    timeline.launch_core(d("2022-09-20"))
    for email in timeline.attendees()[1]:
        timeline.respond(1, email, "accepted")
    for day in DAYS:
        timeline.run(d(day))
    partner = busiest_partner(sessions)
    record_checkins(sessions, partner, local(d("2022-11-10")))
    timeline.run(d("2022-11-11"))
    return timeline, partner


def record_checkins(sessions: sessionmaker[Session], partner: Partner, at: dt.datetime) -> None:
    """What the check-in page records for them: an action done with a note naming them, a link used."""
    with unit_of_work(sessions) as session:
        contact = session.get(models.Contact, partner.contact_id)
        assert contact is not None
        workshop = session.scalars(select(models.Workshop).order_by(models.Workshop.number)).first()
        assert workshop is not None
        action = models.Action(
            key=f"privacy-test:{contact.organisation_id}",
            workshop_id=workshop.id,
            lcp_id=contact.organisation.lcp_id,
            organisation_id=contact.organisation_id,
            title="Share one example of unmet need",
            owner_role="each_partner",
            due_date=at.date(),
        )
        session.add(action)
        session.flush()
        note = f"Done. Ask {partner.name} ({partner.email}) about the venue."
        progress.complete_action(session, action, by=partner.email, source="checkin", note=note, at=at)
        session.add(
            models.CheckinUse(
                token_id="used-token-0001",
                used_at=at,
                contact_id=contact.id,
                subject=f"action:{action.id}",
                transition="action.done",
            )
        )


def figures(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> Any:
    """The digest's counts (whole programme) at `as_of`: what erasure and retention must leave unchanged."""
    from rollout.digest import preview_digest

    with sessions() as session:
        digest = preview_digest(session, programme, as_of, None)
    return digest.totals, [(w.rsvp, w.rsvp_by_lcp, w.workshops_done) for w in digest.waves]
