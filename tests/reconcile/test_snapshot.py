"""The snapshot: everything the deciders need, in the same number of queries whatever the programme's size."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.db.session import unit_of_work
from rollout.reconcile import load_snapshot
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import counting_statements, import_sample, plan_in_database_only


def grow(sessions: sessionmaker[Session], organisations: int) -> None:
    """More of everything: organisations with contacts, hubs, actions and escalations with notices."""
    with unit_of_work(sessions) as session:
        workshop = session.scalars(select(models.Workshop).order_by(models.Workshop.number)).first()
        assert workshop is not None
        start = session.query(models.Organisation).count()
        for n in range(start, start + organisations):
            org = models.Organisation(lcp_id="central", name=f"Grown {n}", sector="health", roles=["motivating"])
            session.add(org)
            session.flush()
            session.add(models.Contact(organisation_id=org.id, name=f"Person {n}", email=f"p{n}@grown.example.org"))
            hub = models.Hub(organisation_id=org.id, stage=1, stage_since=local(d("2022-09-01")))
            session.add(hub)
            session.flush()
            session.add(
                models.Action(
                    key=f"grown:{n}",
                    workshop_id=workshop.id,
                    lcp_id="central",
                    organisation_id=org.id,
                    title="Grow",
                    owner_role="each_hub",
                    due_date=dt.date(2022, 12, 1),
                )
            )
            escalation = models.Escalation(hub_id=hub.id, reason="no_progress", stalled_since=dt.date(2022, 11, 30))
            session.add(escalation)
            session.flush()
            session.add(
                models.EscalationNotice(escalation_id=escalation.id, level=1, sent_to="hub_contact", message_key="k")
            )


def statements_to_load(engine: Engine, sessions: sessionmaker[Session]) -> tuple[int, int]:
    with counting_statements(engine) as statements, sessions() as session:
        snapshot = load_snapshot(session, local(d("2022-12-05")))
    return len(statements), len(snapshot.actions)


def test_the_snapshot_takes_the_same_number_of_queries_at_any_size(
    engine: Engine, sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    grow(sessions, 5)
    small, small_actions = statements_to_load(engine, sessions)
    grow(sessions, 200)
    large, large_actions = statements_to_load(engine, sessions)
    assert (small_actions, large_actions) == (5, 205)
    assert small == large == 11  # the nine tables, and attendance in two (rollout.attendance.known)


def test_the_snapshot_holds_what_the_deciders_read(sessions: sessionmaker[Session], programme: Programme) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    with sessions() as session:
        snapshot = load_snapshot(session, local(d("2022-10-04")))
    assert sorted(w.number for w in snapshot.workshops.values()) == [1, 2, 3, 4, 5, 6]
    workshop_1 = next(w for w in snapshot.workshops.values() if w.number == 1)
    invited = snapshot.invitations_by_workshop[workshop_1.id]
    assert {i.response for i in invited} == {"none"}
    assert {i.organisation_id is None for i in invited if i.email.endswith(".lead@example.org")} == {True}
    assert all(i.organisation_id is not None for i in invited if not i.email.endswith(".lead@example.org"))
    assert len(snapshot.hubs) == sum(1 for o in snapshot.organisations.values() if o.id in snapshot.hub_by_organisation)
    assert snapshot.pending == ()
