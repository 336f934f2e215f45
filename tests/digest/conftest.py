"""A programme state with known numbers, built directly with the models (and rollout.programme.progress for changes).

As of Monday 17 October 2022, 08:00 UK time (week 42). Wave 1 (central, woodsley-holt-park, morley) has held
workshop 1 and invited people to workshop 2. Every number the tests assert is derived in the comments here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.outbound.gateway import MailSpec, Recipient
from rollout.outbound.outbox import Intent, enqueue, mail_payload
from rollout.programme.progress import complete_action, create_hub, move_hub
from rollout.programme.sync import sync_programme

LONDON = ZoneInfo("Europe/London")
AS_OF = dt.datetime(2022, 10, 17, 8, 0, tzinfo=LONDON).astimezone(dt.UTC)
WEEK_START = dt.date(2022, 10, 17)
NASTY = "<script>alert(1)</script> & Co"


def local(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(dt.UTC)


@dataclass(frozen=True)
class World:
    """Names the tests look for, per LCP."""

    central_orgs: tuple[str, ...]
    central_contacts: tuple[str, ...]  # names and emails
    central_action_titles: tuple[str, ...]
    morley_orgs: tuple[str, ...]
    morley_contacts: tuple[str, ...]
    morley_action_titles: tuple[str, ...]


def org(session: Session, lcp: str, name: str, sector: str, roles: list[str], *contacts: tuple[str, str, bool]):  # type: ignore[no-untyped-def]
    row = models.Organisation(lcp_id=lcp, name=name, sector=sector, roles=roles, hub_interest=False)
    session.add(row)
    session.flush()
    for contact_name, email, active in contacts:
        session.add(models.Contact(organisation_id=row.id, name=contact_name, email=email, active=active))
    session.flush()
    return row


def contact_id(session: Session, email: str) -> int:
    return session.query(models.Contact).filter_by(email=email).one().id


def build_world(session: Session, programme: Programme) -> World:
    sync_programme(session, programme)
    by = "test"

    # central: 3 partners (Gone Ltd has no active contact, so it is not one).
    library = org(
        session,
        "central",
        "Central Library",
        "council",
        ["building_confidence", "supporting_skills"],
        ("Alice Reader", "alice@central.example.org", True),
    )
    nasty = org(
        session,
        "central",
        NASTY,
        "third_sector",
        ["identifying_need", "motivating"],
        ("Bob Tables", "bob@central.example.org", True),
    )
    gp = org(
        session,
        "central",
        "Central GP Practice",
        "health",
        ["signposting"],
        ("Carol Doctor", "carol@central.example.org", True),
    )
    org(
        session,
        "central",
        "Gone Ltd",
        "third_sector",
        ["supporting_connectivity"],
        ("Gus Gone", "gus@central.example.org", False),
    )
    # morley: 1 partner playing every role.
    pantry = org(
        session,
        "morley",
        "Morley Secret Pantry",
        "third_sector",
        [r.id for r in programme.roles],
        ("Dave Baker", "dave@morley.example.org", True),
    )

    # Hubs. Central Library: stage 1 since 1 Sep, moved to 2 on Sun 16 Oct (in the last 7 days).
    # The nasty org: stage 1 since 1 Jun = 138 days on 17 Oct > 90: stalled.
    # Morley Secret Pantry: stage 2 since 1 Jun, moved to 3 on Wed 12 Oct (in the last 7 days).
    library_hub = create_hub(session, library, 1, by=by, source="import", at=local(2022, 9, 1))
    nasty_hub = create_hub(session, nasty, 1, by=by, source="import", at=local(2022, 6, 1))
    pantry_hub = create_hub(session, pantry, 2, by=by, source="import", at=local(2022, 6, 1))
    move_hub(session, library_hub, 2, by="Alice Reader", source="checkin", at=local(2022, 10, 16, 12))
    move_hub(session, pantry_hub, 3, by="Dave Baker", source="checkin", at=local(2022, 10, 12, 15))
    # Movements before the window do not count: a move on 9 Oct (8 days before as_of).
    old = create_hub(session, gp, 1, by=by, source="import", at=local(2022, 5, 1))
    move_hub(session, old, 2, by=by, source="cli", at=local(2022, 10, 9, 9))
    # GP is a hub at stage 2 too. So hubs: central 3 (stage 1: nasty; stage 2: library, GP), morley 1 (stage 3).
    # Programme funnel: 1/2/1/0.

    # Wave 1's workshops: 1 held on Tue 11 Oct, 2 next on Tue 25 Oct, 3-6 later. Event created for 1 and 2 only.
    wave = programme.wave("wave-1")
    dates = [(2022, 10, 11), (2022, 10, 25), (2022, 11, 8), (2022, 11, 22), (2022, 12, 6), (2023, 1, 10)]
    workshops = {}
    for number, (y, m, d) in enumerate(dates, start=1):
        spec = next(w for w in programme.workshops if w.number == number)
        row = models.Workshop(
            wave_id=wave.id,
            number=number,
            title=spec.title,
            starts_at=local(y, m, d),
            ends_at=local(y, m, d, 12),
            format=spec.format,
            venue=spec.venue,
            status="scheduled" if number <= 2 else "planned",
            event_id=f"evt-{number}" if number <= 2 else None,
        )
        session.add(row)
        session.flush()
        workshops[number] = row

    # Invitations to workshop 2: central accepted 1, tentative 1, no response 2 (Carol, the lead);
    # morley accepted 1 (the lead), declined 1. One removed invitation does not count.
    def invite(email: str, name: str, lcp: str, response: str, cid: int | None, status: str = "invited") -> None:
        session.add(
            models.Invitation(
                workshop_id=workshops[2].id,
                email=email,
                name=name,
                lcp_id=lcp,
                contact_id=cid,
                response=response,
                status=status,
            )
        )

    invite(
        "alice@central.example.org",
        "Alice Reader",
        "central",
        "accepted",
        contact_id(session, "alice@central.example.org"),
    )
    invite(
        "bob@central.example.org", "Bob Tables", "central", "tentative", contact_id(session, "bob@central.example.org")
    )
    invite(
        "carol@central.example.org", "Carol Doctor", "central", "none", contact_id(session, "carol@central.example.org")
    )
    invite("central.lead@example.org", "Central LCP lead", "central", "none", None)
    invite(
        "dave@morley.example.org", "Dave Baker", "morley", "declined", contact_id(session, "dave@morley.example.org")
    )
    invite("morley.lead@example.org", "Morley LCP lead", "morley", "accepted", None)
    invite(
        "gus@central.example.org",
        "Gus Gone",
        "central",
        "none",
        contact_id(session, "gus@central.example.org"),
        status="removed",
    )
    session.flush()

    # Actions. central: overdue 1 (lead's, due Fri 14 Oct: 3 days), due soon 1 (Library, Wed 19 Oct),
    # done 1 (nasty org, done Thu 13 Oct: in the last 7 days), not yet due 1 (GP, 2 Nov).
    # morley: done 1 (lead's, done 1 Oct: not recent), overdue 1 (Pantry, due 10 Oct: 7 days).
    def action(
        key: str, lcp: str, organisation: models.Organisation | None, title: str, owner: str, due: dt.date
    ) -> models.Action:
        row = models.Action(
            key=key,
            workshop_id=workshops[1].id,
            lcp_id=lcp,
            organisation_id=organisation.id if organisation else None,
            title=title,
            owner_role=owner,
            due_date=due,
            status="open",
        )
        session.add(row)
        session.flush()
        return row

    action("a1", "central", None, "Map your LCP's partners against the six roles", "lcp_lead", dt.date(2022, 10, 14))
    action("a2", "central", library, "Share one example of unmet need", "each_partner", dt.date(2022, 10, 19))
    done = action("a3", "central", nasty, "Central done action", "each_partner", dt.date(2022, 10, 14))
    complete_action(session, done, by="Bob Tables", source="checkin", at=local(2022, 10, 13, 16))
    action("a4", "central", gp, "Agree a signposting route", "each_partner", dt.date(2022, 11, 2))
    morley_done = action("m1", "morley", None, "Morley lead mapping", "lcp_lead", dt.date(2022, 10, 3))
    complete_action(session, morley_done, by="Morley LCP lead", source="cli", at=local(2022, 10, 1))
    action("m2", "morley", pantry, "Pantry outreach plan", "each_partner", dt.date(2022, 10, 10))

    # Escalations: the nasty org's stall is open at level 2 (LCP lead); a closed one for the pantry is not shown.
    session.add(
        models.Escalation(
            hub_id=nasty_hub.id, reason="no_progress", stalled_since=dt.date(2022, 8, 30), level=2, status="open"
        )
    )
    session.add(
        models.Escalation(
            hub_id=pantry_hub.id, reason="no_progress", stalled_since=dt.date(2022, 9, 1), level=1, status="closed"
        )
    )

    # Outbox: 3 sent, 1 failed, 1 pending (a real reminder the deliverer can send).
    reminder = mail_payload(
        MailSpec(to=(Recipient("X", "x@example.org"),), subject="Reminder", text="Hello", html="<p>Hello</p>")
    )
    intents = [
        Intent(key=f"m{i}", kind="mail", purpose="reminder", payload=reminder, recipients=("x@example.org",))
        for i in range(5)
    ]
    enqueue(session, intents)
    for i, status in enumerate(["sent", "sent", "sent", "failed", "pending"]):
        session.query(models.OutboundMessage).filter_by(idempotency_key=f"m{i}").update({"status": status})

    # Last week's digest reported these counters.
    session.add(
        models.DigestSnapshot(
            week_start=dt.date(2022, 10, 10),
            figures={
                "version": 1,
                "programme": {
                    "partners": 3,
                    "hubs": 3,
                    "stages": {"1": 2, "2": 1, "3": 0, "4": 0},
                    "workshops_done": 0,
                    "actions_done": 2,
                    "actions_overdue": 0,
                    "open_escalations": 1,
                    "role_gaps": 57,
                    "invitations_sent": 0,
                    "messages_sent": 1,
                    "messages_failed": 1,
                },
                "waves": {"wave-1": {"workshops_done": 0}},
                "lcps": {
                    "central": {
                        "partners": 2,
                        "hubs": 3,
                        "stages": {"1": 2, "2": 1},
                        "actions_done": 1,
                        "actions_overdue": 0,
                        "open_escalations": 1,
                        "role_gaps": 2,
                    }
                },
            },
        )
    )
    session.flush()
    return World(
        central_orgs=("Central Library", NASTY, "Central GP Practice", "Gone Ltd"),
        central_contacts=(
            "Alice Reader",
            "alice@central.example.org",
            "Bob Tables",
            "bob@central.example.org",
            "Carol Doctor",
            "carol@central.example.org",
            "Gus Gone",
            "gus@central.example.org",
        ),
        central_action_titles=("Share one example of unmet need", "Agree a signposting route"),
        morley_orgs=("Morley Secret Pantry",),
        morley_contacts=("Dave Baker", "dave@morley.example.org"),
        morley_action_titles=("Morley lead mapping", "Pantry outreach plan"),
    )


@pytest.fixture
def world(sessions: sessionmaker[Session], programme: Programme) -> World:
    with unit_of_work(sessions) as session:
        return build_world(session, programme)
