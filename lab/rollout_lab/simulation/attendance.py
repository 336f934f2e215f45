"""Who comes to each workshop in the simulation, correlated with their reply, and how it gets recorded.

At the end of each workshop the invitees' final answers in Outlook decide (seeded per person and workshop) who
came: most who accepted, half the tentative, a few who never answered, almost nobody who declined. Online
workshops get it as Teams would report it (the emulator's scripted attendance: sometimes a phone guest with no
address, sometimes someone who rejoined after the end, making a second report, and addresses in any case); the
reconcile collects it. For a venue workshop the organiser imports the sign-in sheet the same afternoon
(rollout.attendance.record, as `rollout attendance import` does).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.attendance.record import import_attendance
from rollout.db import models

# Chance of coming, by the invitee's final answer in Outlook.
COMES = {"accepted": 0.85, "tentativelyaccepted": 0.5, "none": 0.12, "notresponded": 0.12, "declined": 0.03}
PHONE_GUEST = 0.3  # online workshops with a caller Teams knows only by a display name
REJOIN = 0.15  # online workshops where someone came back after the end (a second report)
ORGANISER = "Workshop organiser (simulated)"


@dataclass(frozen=True)
class WorkshopView:
    id: int
    wave_id: str
    number: int
    event_id: str
    format: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def load_workshops(session: Session) -> tuple[WorkshopView, ...]:
    Wk = models.Workshop
    return tuple(
        WorkshopView(id_, wave, number, event_id, format_, starts, ends)
        for id_, wave, number, event_id, format_, starts, ends in session.execute(
            select(Wk.id, Wk.wave_id, Wk.number, Wk.event_id, Wk.format, Wk.starts_at, Wk.ends_at)
            .where(Wk.status == "scheduled", Wk.event_id.is_not(None))
            .order_by(Wk.id)
        ).tuples()
        if event_id is not None
    )


class Teams(Protocol):
    def events(self, mailbox: str) -> list[dict[str, Any]]: ...

    def set_attendance(self, mailbox: str, event_id: str, sessions: list[list[dict[str, Any]]]) -> None: ...


def who_came(seed: int, workshop: WorkshopView, answers: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, address) of the invitees who came; `answers`: address -> (name, Outlook's response)."""
    came = []
    for address, (name, response) in sorted(answers.items()):
        r = random.Random(f"{seed}:attend:{workshop.wave_id}:{workshop.number}:{address}")
        if r.random() < COMES.get(response.lower(), 0.12):
            came.append((name, address))
    return came


def attend(seed: int, workshop_id: int, session: Session, teams: Teams, organiser: str, at: dt.datetime) -> bool:
    """Record (or script) who came to one workshop. True when anything was recorded."""
    workshop = next((w for w in load_workshops(session) if w.id == workshop_id), None)
    if workshop is None:
        return False
    event = next((e for e in teams.events(organiser) if e.get("id") == workshop.event_id), None)
    if event is None:
        return False
    answers = {
        str(a["emailAddress"]["address"]).lower(): (
            str(a["emailAddress"].get("name") or ""),
            str((a.get("status") or {}).get("response") or "none"),
        )
        for a in event.get("attendees") or []
    }
    came = who_came(seed, workshop, answers)
    r = random.Random(f"{seed}:room:{workshop.wave_id}:{workshop.number}")
    if workshop.format == "teams":
        minutes = int((workshop.ends_at - workshop.starts_at).total_seconds())
        first: list[dict[str, Any]] = [
            # Teams reports addresses as the tenant knows them: the case may differ from ours.
            {
                "name": name,
                "email": address.upper() if r.random() < 0.1 else address,
                "seconds": r.randrange(600, minutes),
            }
            for name, address in came
        ]
        if r.random() < PHONE_GUEST:
            first.append({"name": "Guest (phone)", "email": None, "seconds": r.randrange(600, minutes)})
        sessions = [first] if first else []  # a meeting nobody joined has no report
        if came and r.random() < REJOIN:
            name, address = came[r.randrange(len(came))]
            sessions.append([{"name": name, "email": address, "seconds": r.randrange(60, 900)}])
        teams.set_attendance(organiser, workshop.event_id, sessions)
        return bool(first)
    rows = [(n, address) for n, (_name, address) in enumerate(came, start=2)]
    workshop_row = session.get(models.Workshop, workshop.id)
    assert workshop_row is not None
    import_attendance(session, workshop_row, rows, by=ORGANISER, at=at)
    return bool(rows)
