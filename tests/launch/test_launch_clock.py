"""A launch stamps what it records with the run's as_of, not the wall clock: a simulated 2022 records 2022."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.programme.launch import prepare_launch, queue_launch
from tests.reconcile.db_setup import import_sample

PLANNED = dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC)
REPLANNED = dt.datetime(2022, 9, 20, 9, tzinfo=dt.UTC)


def launch(sessions: sessionmaker[Session], programme: Programme, as_of: dt.datetime) -> None:
    with unit_of_work(sessions) as session:
        queue_launch(session, prepare_launch(session, programme, "wave-1", as_of))


def test_a_launch_as_of_2022_records_2022_times(sessions: sessionmaker[Session], programme: Programme) -> None:
    import_sample(sessions, programme)
    launch(sessions, programme, PLANNED)
    with sessions() as session:
        assert set(session.scalars(select(models.Workshop.updated_at))) == {PLANNED}
        assert set(session.scalars(select(models.Invitation.invited_at))) == {PLANNED}
        assert set(session.scalars(select(models.OutboundMessage.created_at))) == {PLANNED}


def test_a_relaunch_records_who_left_the_list_at_its_own_as_of(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    launch(sessions, programme, PLANNED)
    with unit_of_work(sessions) as session:
        leaver = session.scalars(select(models.Contact).where(models.Contact.email.like("%@%")).limit(1)).one()
        leaver.active = False
        email = leaver.email
    launch(sessions, programme, REPLANNED)
    with sessions() as session:
        removed = session.scalars(select(models.Invitation).where(models.Invitation.email == email)).all()
        updates = session.scalars(
            select(models.OutboundMessage.created_at).where(models.OutboundMessage.kind == "event.update")
        ).all()
    assert removed and {(i.status, i.removed_at) for i in removed} == {("removed", REPLANNED)}
    assert updates and set(updates) == {REPLANNED}
