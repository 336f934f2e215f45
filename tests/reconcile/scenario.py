"""Scripted people for the time-travel tests: partners reply, do (or do not do) their actions, hubs move on,
and the programme manager acknowledges or snoozes escalations, each on a given simulated day."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.programme.progress import acknowledge_escalation, complete_action, move_hub, snooze_escalation
from tests.conftest import SAMPLE_PARTNERS
from tests.reconcile.builders import UK, local

WAVE_1_LCPS = ("central", "woodsley-holt-park", "morley")


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE_PARTNERS.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["lcp"] in WAVE_1_LCPS]


def people(*organisations: str) -> list[str]:
    return [r["email"] for r in sample_rows() if r["organisation"] in organisations]


def set_stage_since(sessions: sessionmaker[Session], organisation: str, day: dt.date) -> None:
    with unit_of_work(sessions) as session:
        org = session.scalars(select(models.Organisation).where(models.Organisation.name == organisation)).one()
        session.execute(
            update(models.Hub)
            .where(models.Hub.organisation_id == org.id)
            .values(stage_since=dt.datetime.combine(day, dt.time(12), tzinfo=UK))
        )


def complete(
    sessions: sessionmaker[Session], day: dt.date, workshop: int, which: Callable[[models.Action], bool]
) -> int:
    """Owners do their open actions from `workshop` for which `which(action)` holds, early on `day`."""
    done = 0
    with unit_of_work(sessions) as session:
        actions = session.scalars(
            select(models.Action)
            .join(models.Workshop)
            .where(models.Workshop.number == workshop, models.Action.status == "open")
        ).all()
        for action in actions:
            if which(action):
                done += complete_action(session, action, by="partner", source="checkin", at=local(day, 6))
    return done


def owner_name(action: models.Action) -> str:
    return action.organisation.name if action.organisation else f"{action.lcp_id} lead"


def move(sessions: sessionmaker[Session], day: dt.date, organisation: str, stage: int) -> None:
    with unit_of_work(sessions) as session:
        hub = session.scalars(
            select(models.Hub).join(models.Organisation).where(models.Organisation.name == organisation)
        ).one()
        assert move_hub(session, hub, stage, by="lead", source="cli", at=local(day, 6))


def escalation_of(session: Session, organisation: str, reason: str) -> models.Escalation:
    return session.scalars(
        select(models.Escalation)
        .join(models.Hub)
        .join(models.Organisation)
        .where(models.Organisation.name == organisation, models.Escalation.reason == reason)
        .where(models.Escalation.status != "closed")
    ).one()


def acknowledge(sessions: sessionmaker[Session], day: dt.date, organisation: str, reason: str = "no_progress") -> None:
    with unit_of_work(sessions) as session:
        escalation = escalation_of(session, organisation, reason)
        assert acknowledge_escalation(session, escalation, by="pm", source="cli", at=local(day, 6))


def snooze(
    sessions: sessionmaker[Session], day: dt.date, organisation: str, until: dt.date, reason: str = "no_progress"
) -> None:
    with unit_of_work(sessions) as session:
        escalation = escalation_of(session, organisation, reason)
        assert snooze_escalation(session, escalation, until, by="pm", source="cli", at=local(day, 6))
