"""The database steps: deciding twice stores and queues once; messages no longer due are dropped before sending."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rollout.config import Programme
from rollout.db import models
from rollout.programme.progress import complete_action
from rollout.reconcile import preview, queue_messages, record_changes
from tests.reconcile.builders import d, local
from tests.reconcile.conftest import with_cancelled
from tests.reconcile.db_setup import import_sample, plan_in_database_only


def outbox(sessions: sessionmaker[Session], purpose: str | None = None) -> Counter[str]:
    with sessions() as session:
        query = select(models.OutboundMessage.status)
        if purpose:
            query = query.where(models.OutboundMessage.purpose == purpose)
        return Counter(session.scalars(query))


def reconcile_without_sending(sessions: sessionmaker[Session], programme: Programme, day: str) -> dict[str, int]:
    now = local(d(day))
    changes = record_changes(sessions, programme, now)
    return dict(changes.queued.by_purpose + queue_messages(sessions, programme, now).queued.by_purpose)


def test_the_same_moment_twice_records_and_queues_once(sessions: sessionmaker[Session], programme: Programme) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    first = reconcile_without_sending(sessions, programme, "2022-10-04")
    with sessions() as session:
        invitees = session.scalars(
            select(models.Invitation).join(models.Workshop).where(models.Workshop.number == 1)
        ).all()
    assert first == {"reminder": len(invitees)}
    assert reconcile_without_sending(sessions, programme, "2022-10-04") == {}
    assert outbox(sessions, "reminder") == {"pending": len(invitees)}


def test_follow_up_actions_are_stored_once_with_their_history(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    assert reconcile_without_sending(sessions, programme, "2022-10-19") == {"follow_up": 3}
    assert reconcile_without_sending(sessions, programme, "2022-10-20") == {}
    with sessions() as session:
        actions = session.scalars(select(models.Action)).all()
    assert sorted(a.key for a in actions) == [
        "action:wave-1:workshop-1:0:central:lead",
        "action:wave-1:workshop-1:0:morley:lead",
        "action:wave-1:workshop-1:0:woodsley-holt-park:lead",
    ]


def test_overdue_actions_are_marked_once_with_who_and_why(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    reconcile_without_sending(sessions, programme, "2022-10-19")
    assert reconcile_without_sending(sessions, programme, "2022-11-09")["action_overdue"] == 3
    assert "action_overdue" not in reconcile_without_sending(sessions, programme, "2022-11-10")
    with sessions() as session:
        actions = session.scalars(select(models.Action)).all()
        assert {a.overdue_since for a in actions} == {d("2022-11-09")}
        history = session.scalars(select(models.ActionChange)).all()
    assert [(h.status, h.source, h.changed_by) for h in history] == [("overdue", "reconcile", "reconcile")] * 3


def test_a_preview_shows_what_would_be_sent_and_keeps_nothing(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    before = outbox(sessions)
    result = preview(sessions, programme, local(d("2022-10-19")))
    assert result.changes.actions_created == 3
    assert Counter(m.purpose for m in result.new_messages) == {"follow_up": 3}
    assert outbox(sessions) == before
    with sessions() as session:
        assert session.scalars(select(models.Action)).all() == []


def test_queued_reminders_for_a_cancelled_workshop_are_dropped_not_sent(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    queued = reconcile_without_sending(sessions, programme, "2022-10-04")["reminder"]
    cancelled = with_cancelled(programme, "wave-1", 1)
    report = queue_messages(sessions, cancelled, local(d("2022-10-05")))
    assert report.superseded == queued
    assert outbox(sessions, "reminder") == {"dropped": queued}
    with sessions() as session:
        reasons = set(
            session.scalars(
                select(models.OutboundMessage.last_error).where(models.OutboundMessage.purpose == "reminder")
            )
        )
    assert reasons == {"superseded: no longer due"}


def test_a_moved_workshop_drops_its_old_reminders_and_queues_new_ones(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    queued = reconcile_without_sending(sessions, programme, "2022-10-04")["reminder"]
    with sessions.begin() as session:
        workshop = session.scalars(select(models.Workshop).where(models.Workshop.number == 1)).one()
        workshop.starts_at = workshop.starts_at.replace(day=20)
        workshop.ends_at = workshop.ends_at.replace(day=20)
    report = queue_messages(sessions, programme, local(d("2022-10-06")))
    assert report.superseded == queued and report.queued.by_purpose == {"reminder": queued}
    with sessions() as session:
        pending = session.scalars(
            select(models.OutboundMessage.idempotency_key).where(models.OutboundMessage.status == "pending")
        ).all()
    assert pending and all(":2022-10-20:" in key for key in pending)


def test_a_queued_overdue_notice_is_dropped_once_the_action_is_done(
    sessions: sessionmaker[Session], programme: Programme
) -> None:
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    reconcile_without_sending(sessions, programme, "2022-10-19")
    reconcile_without_sending(sessions, programme, "2022-11-09")
    with sessions.begin() as session:
        action = session.scalars(select(models.Action).where(models.Action.lcp_id == "morley")).one()
        complete_action(session, action, by="lead", source="cli")
    assert queue_messages(sessions, programme, local(d("2022-11-10"))).superseded == 1
    assert outbox(sessions, "action_overdue") == {"pending": 2, "dropped": 1}
